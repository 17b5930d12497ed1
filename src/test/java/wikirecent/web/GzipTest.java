package wikirecent.web;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;

class GzipTest {

  @Test
  void gzipIsTakenWhenNamedOrCoveredByAStarWithAWeightAboveZero() {
    for (String takes : new String[]{"gzip", "GZip", "x-gzip", "deflate, gzip", "gzip;q=1", "gzip; q=0.001", "gzip ;Q = 0.5",
      "*", "br, *;q=0.1", "gzip, deflate, br, zstd"}) {
      assertThat(Gzip.accepted(takes)).as(takes).isTrue();
    }
    for (String refuses : new String[]{"", "identity", "br", "deflate, br", "gzip;q=0", "gzip;q=0.0", "*;q=0", "gzip;q=0, *",
      "gzip;q=x", "gzipped", "*, gzip;q=0"}) {
      assertThat(Gzip.accepted(refuses)).as(refuses).isFalse();
    }
    assertThat(Gzip.accepted((String) null)).isFalse();
  }

  @Test
  void severalAcceptEncodingLinesAreOneList() {
    assertThat(Gzip.accepted(MultiMap.caseInsensitiveMultiMap().add("Accept-Encoding", "gzip").add("accept-encoding", "gzip;q=0")))
      .isFalse();
    assertThat(Gzip.accepted(MultiMap.caseInsensitiveMultiMap().add("Accept-Encoding", "br").add("Accept-Encoding", "gzip"))).isTrue();
    assertThat(Gzip.accepted(MultiMap.caseInsensitiveMultiMap())).isFalse();
  }

  @Test
  void whatItMakesInflatesToTheBytesItWasGiven() throws Exception {
    StringBuilder json = new StringBuilder("[");
    for (int i = 0; i < 20_000; i++) {
      json.append(i == 0 ? "" : ",").append("[\"user \u00e9\u2603 ").append(i).append("\",").append(i % 97).append(']');
    }
    Buffer plain = Buffer.buffer(json.append(']').toString());
    Buffer gzipped = Gzip.of(plain);
    assertThat(gzipped.length()).isLessThan(plain.length() / 2);
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzipped.getBytes()))) {
      assertThat(in.readAllBytes()).isEqualTo(plain.getBytes());
    }
  }
}
