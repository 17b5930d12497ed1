package wikirecent.ingest;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class IdsTest {

  @Test
  void whatCannotGoBackInAHeader() {
    assertThat(Ids.problem("[{\"topic\":\"eqiad.mediawiki.recentchange\",\"partition\":0,\"timestamp\":1700000000000}]", 4096)).isNull();
    assertThat(Ids.problem("\u2603 \u00fc\tx", 4096)).isNull(); // non-ASCII and a tab inside are fine
    assertThat(Ids.problem("x".repeat(4097), 4096)).contains("4097 bytes").contains("stream.maxResumeIdBytes (4096)");
    assertThat(Ids.problem("\u2603".repeat(1366), 4096)).contains("4098 bytes"); // 3 bytes each
    assertThat(Ids.problem("\u2603".repeat(1365), 4096)).isNull();
    assertThat(Ids.problem("a\u000bb", 4096)).contains("control character (U+000B)");
    assertThat(Ids.problem("a\u007fb", 4096)).contains("control character");
    assertThat(Ids.problem("a\uFFFDb", 4096)).contains("not UTF-8");
    assertThat(Ids.problem(" a", 4096)).contains("white space");
    assertThat(Ids.problem("a\t", 4096)).contains("white space");
  }

  @Test
  void theHeaderValueCarriesTheUtf8BytesOneCharEach() {
    String id = "\u2603\uD834\uDD1E";
    byte[] wire = Ids.headerValue(id).getBytes(StandardCharsets.ISO_8859_1);
    assertThat(wire).isEqualTo(id.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aLongIdIsShownByItsStartAndSize() {
    assertThat(Ids.shown("short")).isEqualTo("short");
    assertThat(Ids.shown("y".repeat(50_000))).hasSize(200 + "... (50000 bytes)".length()).endsWith("... (50000 bytes)");
  }
}
