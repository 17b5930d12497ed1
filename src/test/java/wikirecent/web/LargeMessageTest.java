package wikirecent.web;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import wikirecent.testsupport.StreamWatcher;
import wikirecent.testsupport.Wait;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A message longer than a WebSocket frame (a large view's snapshot) goes out as a text frame of one character, then
 * continuation frames over the bytes every socket shares; clients get it whole, on the raw stream and on
 * SockJS's WebSocket transport. What each client gets is held to the rows the test's source was given (its own model of
 * the view), not to another answer of the same node: a name mangled by the encoder every transport shares would be the
 * same in all of them.
 */
@ExtendWith(VertxExtension.class)
class LargeMessageTest {

  private static final int MAX_FRAME = 65536; // Vert.x's default maximum WebSocket frame size, which the node keeps

  @Test
  void aSnapshotLongerThanAFrameIsATextFrameOfItsFirstByteThenContinuationsOfTheRest(Vertx vertx) throws Exception {
    Large large = largeUserEdits(vertx);
    WebNode web = large.web();

    try (RawHttp http = RawHttp.connect(web.port())) {
      http.send("GET /api/stream/user_edits HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
      assertThat(http.readResponse().status()).isEqualTo(101);
      RawHttp.Frame first = http.readFrame();
      assertThat(first.first()).as("text, not final").isEqualTo(0x01);
      assertThat(first.payload()).containsExactly((byte) '{');
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
      byte[] whole = message.toByteArray();
      assertThat(whole.length).as("longer than two frames").isGreaterThan(2 * MAX_FRAME);
      assertThat(frames).isEqualTo((whole.length - 1 + MAX_FRAME - 1) / MAX_FRAME);
      large.assertHoldsTheRows(new JsonObject(new String(whole, StandardCharsets.UTF_8)));
    }
  }

  /**
   * Over REST a large snapshot goes a slice at a time as the connection takes it: a client with a small window that
   * reads late still gets all of it, and the connection then answers its next request.
   */
  @Test
  void aLargeSnapshotOverRestReachesAClientThatReadsLateWhole(Vertx vertx) throws Exception {
    Large large = largeUserEdits(vertx);
    WebNode web = large.web();
    String whole = Http.get(vertx, web.port(), "/api/views/user_edits").bodyAsString();
    large.assertHoldsTheRows(new JsonObject(whole));
    assertThat(whole.getBytes(StandardCharsets.UTF_8).length).as("many slices").isGreaterThan(4 * ViewsApi.SLICE);
    try (RawHttp http = RawHttp.connect(web.port(), 4096)) {
      String get = "GET /api/views/user_edits HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
      http.send(get);
      Thread.sleep(500); // the server fills the window and waits
      RawHttp.Response first = http.readResponse();
      assertThat(first.status()).isEqualTo(200);
      assertThat(first.body()).isEqualTo(whole);
      http.send(get);
      assertThat(http.readResponse().body()).isEqualTo(whole);
    }
  }

  /**
   * A client that takes gzip gets a large snapshot gzipped, made once for the state and shared by every such answer; a
   * client that does not, or a small snapshot, gets the JSON as it is.
   */
  @Test
  void aLargeSnapshotOverRestGoesGzippedToClientsThatTakeItMadeOncePerState(Vertx vertx) throws Exception {
    Large large = largeUserEdits(vertx);
    WebNode web = large.web();
    Buffer plain = Http.get(vertx, web.port(), "/api/views/user_edits").body();
    large.assertHoldsTheRows(plain.toJsonObject());
    WebClient client = WebClient.create(vertx); // it takes bodies as they come: no Accept-Encoding of its own
    List<Future<HttpResponse<Buffer>>> asked = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      asked.add(get(client, web.port(), "/api/views/user_edits", i % 2 == 0 ? "gzip" : "br;q=1.0, GZIP;q=0.5, identity"));
    }
    for (Future<HttpResponse<Buffer>> f : asked) {
      HttpResponse<Buffer> r = Wait.on(f);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.getHeader("Content-Encoding")).isEqualTo("gzip");
      assertThat(r.getHeader("Vary")).startsWith("Accept-Encoding");
      assertThat(r.getHeader("Content-Length")).isEqualTo(String.valueOf(r.body().length()));
      assertThat(r.body().length()).as("names that repeat, gzipped").isLessThan(plain.length() / 4);
      assertThat(inflate(r.body())).isEqualTo(plain.getBytes());
    }
    assertThat(Shaped.metric(vertx, web.port(), "wikirecent_web_snapshot_gzips_seconds_count")).as("gzipped once").isEqualTo(1.0);

    for (String refuses : new String[]{"gzip;q=0", "gzip; q=0.000, *", "br", "identity", "gzip;q=half"}) {
      HttpResponse<Buffer> r = Wait.on(get(client, web.port(), "/api/views/user_edits", refuses));
      assertThat(r.getHeader("Content-Encoding")).as(refuses).isNull();
      assertThat(r.body()).as(refuses).isEqualTo(plain);
    }
    HttpResponse<Buffer> any = Wait.on(get(client, web.port(), "/api/views/user_edits", "*"));
    assertThat(inflate(any.body())).isEqualTo(plain.getBytes());
    HttpResponse<Buffer> small = Wait.on(get(client, web.port(), "/api/views/counter", "gzip"));
    assertThat(small.getHeader("Content-Encoding")).as("a small snapshot is not worth it").isNull();
    assertThat(small.bodyAsJsonObject().getJsonArray("inserted").getJsonArray(0).getLong(0)).isEqualTo(5000L);
    assertThat(Shaped.metric(vertx, web.port(), "wikirecent_web_snapshot_gzips_seconds_count")).isEqualTo(1.0);
    client.close();
  }

  private static Future<HttpResponse<Buffer>> get(WebClient client, int port, String path, String acceptEncoding) {
    return client.get(port, "localhost", path).putHeader("Accept-Encoding", acceptEncoding).send();
  }

  private static byte[] inflate(Buffer gzipped) throws IOException {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzipped.getBytes()))) {
      return in.readAllBytes();
    }
  }

  @Test
  void aSockJsReplyHoldingALargeSnapshotIsItsOwnHeadThenContinuationsOfBytesEveryReplyShares(Vertx vertx) throws Exception {
    Large large = largeUserEdits(vertx);
    WebNode web = large.web();
    try (RawHttp http = RawHttp.connect(web.port())) {
      http.send("GET /eventbus/1/largereplies/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n"
        + "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
      assertThat(http.readResponse().status()).isEqualTo(101);
      assertThat(http.readFrame().text()).isEqualTo("o");
      List<String> replies = List.of("r-1", "a reply address \u00e9\"quoted\"");
      JsonArray requests = new JsonArray();
      for (String r : replies) {
        requests.add(new JsonObject().put("type", "send").put("address", "views.user_edits.snapshot").put("replyAddress", r).encode());
      }
      http.sendText(requests.encode());
      List<byte[]> tails = new ArrayList<>();
      for (String r : replies) {
        RawHttp.Frame first = http.readFrame();
        assertThat(first.first()).as("text, not final").isEqualTo(0x01);
        String escaped = r.replace("\"", "\\\\\\\"");
        assertThat(first.text()).isEqualTo("a[\"{\\\"type\\\":\\\"rec\\\",\\\"address\\\":\\\"" + escaped + "\\\",\\\"body\\\":");
        ByteArrayOutputStream tail = new ByteArrayOutputStream();
        RawHttp.Frame f;
        do {
          f = http.readFrame();
          assertThat(f.first() & 0x7f).as("a continuation").isEqualTo(0x00);
          assertThat(f.payload().length).isBetween(1, MAX_FRAME);
          tail.write(f.payload());
        } while ((f.first() & 0x80) == 0);
        tails.add(tail.toByteArray());
        String frame = first.text() + new String(tail.toByteArray(), StandardCharsets.UTF_8);
        JsonArray messages = new JsonArray(frame.substring(1));
        assertThat(messages.size()).isEqualTo(1);
        JsonObject reply = new JsonObject(messages.getString(0));
        assertThat(reply.getString("type")).isEqualTo("rec");
        assertThat(reply.getString("address")).isEqualTo(r);
        large.assertHoldsTheRows(reply.getJsonObject("body"));
      }
      assertThat(tails.get(1)).as("the same bytes after each reply's head").isEqualTo(tails.get(0));
    }
  }

  @Test
  void aSockJsSessionAndAStreamClientGetTheWholeLargeSnapshot(Vertx vertx) {
    Large large = largeUserEdits(vertx);
    WebNode web = large.web();
    JsonArray expected = large.rows();
    BridgeWatcher sockJs = BridgeWatcher.connectSockJs(vertx, web.port());
    sockJs.follow("user_edits");
    StreamWatcher stream = StreamWatcher.connect(vertx, web.port(), "user_edits");
    Wait.until("both have the snapshot", () -> sockJs.snapshotsApplied() == 1 && stream.messages().size() >= 1);
    assertThat(sockJs.rows()).isEqualTo(expected);
    assertThat(stream.messages().get(0).getJsonArray("inserted")).isEqualTo(expected);
    sockJs.close();
    stream.close();
  }

  /** A web node and the user_edits rows its source was given, in the view's order (from the source's model, not the node). */
  private record Large(WebNode web, JsonArray rows) {

    /** {@code message} is a snapshot of user_edits holding exactly {@link #rows}. */
    void assertHoldsTheRows(JsonObject message) {
      assertThat(message.getString("view")).isEqualTo("user_edits");
      assertThat(message.getBoolean("snapshot")).isTrue();
      assertThat(message.getJsonArray("deleted")).isEmpty();
      assertThat(message.getJsonArray("inserted")).isEqualTo(rows);
    }
  }

  /** A node whose user_edits snapshot is several frames long, names with characters of 2, 3 and 4 bytes among them. */
  private static Large largeUserEdits(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    String[] names = new String[5000];
    for (int i = 0; i < names.length; i++) {
      names[i] = "user \u00e9\u2603\ud83d\ude00 \"" + i + "\" with a rather long name";
    }
    Wait.on(source.edit(names));
    JsonArray rows = Wait.on(source.expected("user_edits"));
    assertThat(rows).as("one row per name, each edited once")
      .containsExactlyInAnyOrderElementsOf(java.util.Arrays.stream(names).map(n -> new JsonArray().add(n).add(1L)).toList());
    Wait.until("synced", () -> {
      var r = Http.get(vertx, web.port(), "/api/views/user_edits");
      return r.statusCode() == 200 && r.bodyAsJsonObject().getJsonArray("inserted").size() == names.length;
    });
    return new Large(web, rows);
  }
}
