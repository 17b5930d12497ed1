package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import wikirecent.testsupport.Wait;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every browser offers permessage-deflate when it opens a WebSocket. The node declines, so a frame
 * encoded once is the bytes every client gets, and no socket carries a compressor of its own.
 */
@ExtendWith(VertxExtension.class)
class CompressionOfferTest {

  // What Chromium sends when a page opens a WebSocket.
  private static String upgrade(String path) {
    return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
      + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      + "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n";
  }

  private static final int FIN_TEXT = 0x81; // RSV1 clear: not compressed

  @Test
  void theStreamEndpointDeclinesDeflateAndSendsPlainText(Vertx vertx) throws Exception {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    Wait.on(source.edit("Alice", "Bob", "Alice"));
    JsonArray expected = Wait.on(source.expected("top10"));
    Wait.until("the web node has the edits", () -> {
      var r = Http.get(vertx, web.port(), "/api/views/top10");
      return r.statusCode() == 200 && expected.equals(r.bodyAsJsonObject().getJsonArray("inserted"));
    });

    JsonObject snapshot = new JsonObject(firstFrameDeclining(web.port(), "/api/stream/top10"));
    assertThat(snapshot.getBoolean("snapshot")).isTrue();
    assertThat(snapshot.getJsonArray("inserted")).isEqualTo(expected);
  }

  @Test
  void theSockJsWebSocketTransportDeclinesDeflateToo(Vertx vertx) throws Exception {
    Wait.on(vertx.deployVerticle(new ScriptedViewSource()));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    assertThat(firstFrameDeclining(web.port(), "/eventbus/123/abcdefgh/websocket")).isEqualTo("o");
  }

  /** Opens {@code path} as Chromium does; checks the upgrade agreed no extension and the first frame is plain text. */
  private static String firstFrameDeclining(int port, String path) throws Exception {
    try (RawHttp http = RawHttp.connect(port)) {
      http.send(upgrade(path));
      RawHttp.Response head = http.readResponse();
      assertThat(head.status()).isEqualTo(101);
      assertThat(head.header("sec-websocket-extensions")).isNull();
      RawHttp.Frame first = http.readFrame();
      assertThat(first.first()).isEqualTo(FIN_TEXT);
      return first.text();
    }
  }
}
