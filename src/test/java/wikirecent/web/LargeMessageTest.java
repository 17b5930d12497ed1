package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import wikirecent.testsupport.StreamWatcher;
import wikirecent.testsupport.Wait;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A message longer than a WebSocket frame (a large view's snapshot) goes out as a text frame of one character, then
 * continuation frames over the bytes every socket shares; clients get it whole, on the raw stream and on
 * SockJS's WebSocket transport; a REST client that accepts gzip gets it gzipped, compressed once per state.
 */
@ExtendWith(VertxExtension.class)
class LargeMessageTest {

  private static final int MAX_FRAME = 65536; // Vert.x's default maximum WebSocket frame size, which the node keeps

  @Test
  void aSnapshotLongerThanAFrameIsATextFrameOfItsFirstByteThenContinuationsOfTheRest(Vertx vertx) throws Exception {
    WebNode web = largeUserEdits(vertx);
    byte[] rest = Http.get(vertx, web.port(), "/api/views/user_edits").body().getBytes();
    assertThat(rest.length).as("longer than two frames").isGreaterThan(2 * MAX_FRAME);

    try (RawHttp http = RawHttp.connect(web.port())) {
      http.send("GET /api/stream/user_edits HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
      assertThat(http.readResponse().status()).isEqualTo(101);
      RawHttp.Frame first = http.readFrame();
      assertThat(first.first()).as("text, not final").isEqualTo(0x01);
      assertThat(first.payload()).containsExactly(rest[0]);
      ByteArrayOutputStream message = new ByteArrayOutputStream();
      message.write(first.payload());
      int frames = 0;
      RawHttp.Frame f;
      do {
        f = http.readFrame();
        frames++;
        assertThat(f.first() & 0x7f).as("a continuation").isEqualTo(0x00);
        assertThat(f.payload().length).isBetween(1, MAX_FRAME);
        message.write(f.payload());
      } while ((f.first() & 0x80) == 0);
      assertThat(frames).isEqualTo((rest.length - 1 + MAX_FRAME - 1) / MAX_FRAME);
      assertThat(new String(message.toByteArray(), StandardCharsets.UTF_8)).isEqualTo(new String(rest, StandardCharsets.UTF_8));
    }
  }

  @Test
  void aSockJsSessionAndAStreamClientGetTheWholeLargeSnapshot(Vertx vertx) {
    WebNode web = largeUserEdits(vertx);
    JsonArray expected = Http.get(vertx, web.port(), "/api/views/user_edits").bodyAsJsonObject().getJsonArray("inserted");
    BridgeWatcher sockJs = BridgeWatcher.connectSockJs(vertx, web.port());
    sockJs.follow("user_edits");
    StreamWatcher stream = StreamWatcher.connect(vertx, web.port(), "user_edits");
    Wait.until("both have the snapshot", () -> sockJs.snapshotsApplied() == 1 && stream.messages().size() >= 1);
    assertThat(sockJs.rows()).isEqualTo(expected);
    assertThat(stream.messages().get(0).getJsonArray("inserted")).isEqualTo(expected);
    sockJs.close();
    stream.close();
  }

  @Test
  void aRestClientThatAcceptsGzipGetsALargeSnapshotGzippedOnceForItsState(Vertx vertx) throws Exception {
    WebNode web = largeUserEdits(vertx);
    HttpClient http = HttpClient.newHttpClient();
    URI uri = URI.create("http://127.0.0.1:" + web.port() + "/api/views/user_edits");
    HttpResponse<byte[]> plain = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(plain.headers().firstValue("content-encoding")).isEmpty();
    assertThat(plain.headers().firstValue("vary").orElse("")).contains("Accept-Encoding");
    HttpRequest gzip = HttpRequest.newBuilder(uri).header("Accept-Encoding", "br;q=0.9, gzip, deflate").build();
    HttpResponse<byte[]> first = http.send(gzip, HttpResponse.BodyHandlers.ofByteArray());
    HttpResponse<byte[]> second = http.send(gzip, HttpResponse.BodyHandlers.ofByteArray());
    assertThat(first.headers().firstValue("content-encoding")).contains("gzip");
    assertThat(first.body().length).as("several times smaller").isLessThan(plain.body().length / 3);
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(first.body()))) {
      assertThat(in.readAllBytes()).isEqualTo(plain.body());
    }
    assertThat(second.body()).as("the same state's bytes, compressed once").isEqualTo(first.body());

    HttpRequest refused = HttpRequest.newBuilder(uri).header("Accept-Encoding", "gzip;q=0, *").build();
    assertThat(http.send(refused, HttpResponse.BodyHandlers.ofByteArray()).headers().firstValue("content-encoding")).isEmpty();
    HttpResponse<byte[]> small = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + web.port() + "/api/views/top10"))
      .header("Accept-Encoding", "gzip").build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(small.headers().firstValue("content-encoding")).as("a small answer goes as it is").isEmpty();
    assertThat(new String(small.body(), StandardCharsets.UTF_8)).startsWith("{");
  }

  @Test
  void gzipIsTakenWhenNamedWithoutQZeroOrByAStar() {
    assertThat(ViewsApi.acceptsGzip("gzip, deflate, br, zstd")).isTrue();
    assertThat(ViewsApi.acceptsGzip("GZIP;q=0.5")).isTrue();
    assertThat(ViewsApi.acceptsGzip("*")).isTrue();
    assertThat(ViewsApi.acceptsGzip("*;q=0, gzip")).isTrue();
    assertThat(ViewsApi.acceptsGzip("gzip;q=0, *")).isFalse();
    assertThat(ViewsApi.acceptsGzip("gzip; q=0.0")).isFalse();
    assertThat(ViewsApi.acceptsGzip("deflate, br")).isFalse();
    assertThat(ViewsApi.acceptsGzip("identity")).isFalse();
    assertThat(ViewsApi.acceptsGzip("")).isFalse();
    assertThat(ViewsApi.acceptsGzip(null)).isFalse();
  }

  /** A node whose user_edits snapshot is several frames long, names with characters of 2, 3 and 4 bytes among them. */
  private static WebNode largeUserEdits(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    String[] names = new String[5000];
    for (int i = 0; i < names.length; i++) {
      names[i] = "user \u00e9\u2603\ud83d\ude00 \"" + i + "\" with a rather long name";
    }
    Wait.on(source.edit(names));
    Wait.until("synced", () -> {
      var r = Http.get(vertx, web.port(), "/api/views/user_edits");
      return r.statusCode() == 200 && r.bodyAsJsonObject().getJsonArray("inserted").size() == names.length;
    });
    return web;
  }
}
