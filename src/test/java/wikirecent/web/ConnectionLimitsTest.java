package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import wikirecent.config.Config;
import wikirecent.testsupport.StreamWatcher;
import wikirecent.testsupport.Wait;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Connections that hold a socket without using it are closed, and past {@code web.maxConnections}
 * new ones are refused at once, while streams stay up however quiet they are. Raw sockets on
 * loopback; a connection "stays open" means it was still open after 30 s while the timeout in
 * question was 1 s (or, for the cap, while every timeout was 300 s).
 */
@ExtendWith(VertxExtension.class)
class ConnectionLimitsTest {

  private static final int OPEN_FOR_MILLIS = 30_000;

  private static JsonObject limits(int maxConnections, int headSeconds, int idleSeconds) {
    return new JsonObject().put(Config.WEB_MAX_CONNECTIONS, maxConnections)
      .put(Config.WEB_REQUEST_HEAD_TIMEOUT_SECONDS, headSeconds).put(Config.WEB_IDLE_TIMEOUT_SECONDS, idleSeconds);
  }

  /** A node with these limits whose counter replica is synced with {@code source} (one edit so far). */
  private static WebNode synced(Vertx vertx, ScriptedViewSource source, JsonObject limits) {
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, limits));
    Wait.on(source.edit("Alice"));
    Wait.until("synced", () -> Http.get(vertx, web.port(), "/api/views/counter").statusCode() == 200);
    return web;
  }

  private static String metrics(Vertx vertx, WebNode web) {
    return Http.get(vertx, web.port(), "/metrics").bodyAsString();
  }

  @Test
  void aKeepAliveConnectionLeftIdleIsClosedAfterTheIdleTimeout(Vertx vertx) throws Exception {
    WebNode web = Wait.on(WebNode.start(vertx, limits(1000, 300, 1)));
    try (RawHttp client = RawHttp.connect(web.port())) {
      client.send("GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n");
      RawHttp.Response live = client.readResponse();
      assertThat(live.status()).isEqualTo(200);
      assertThat(live.header("connection")).as("kept alive after the answer").isNotEqualTo("close");
      assertThat(client.closedByServer(OPEN_FOR_MILLIS)).as("the idle connection was closed").isTrue();
    }
    Wait.until("the close is counted", () -> web.openConnections() == 0);
    assertThat(metrics(vertx, web)).contains("wikirecent_web_connections_closed_total{reason=\"idle\"} 1.0",
      "wikirecent_web_connections_closed_total{reason=\"request_head\"} 0.0");
  }

  /**
   * A SockJS XHR request that carries WebSocket headers is still an HTTP request: its connection is not kept open as
   * a WebSocket's would be (the guard never takes it for one; Vert.x also closes a connection whose request asked to
   * upgrade and was answered instead).
   */
  @Test
  void aPostDressedAsAnUpgradeDoesNotKeepItsConnection(Vertx vertx) throws Exception {
    WebNode web = Wait.on(WebNode.start(vertx, limits(1000, 300, 1)));
    try (RawHttp client = RawHttp.connect(web.port())) {
      client.send("POST /eventbus/000/dressed/xhr HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n");
      assertThat(client.readResponse().status()).isEqualTo(200);
      assertThat(client.closedByServer(OPEN_FOR_MILLIS)).as("not kept open").isTrue();
    }
    Wait.until("the close is counted", () -> web.openConnections() == 0);
  }

  /**
   * A WebSocket asked for among other protocols (two {@code Upgrade} lines) is upgraded by Vert.x,
   * on the stream and on SockJS: its connection is counted out when it closes, as any stream's. Taken for a plain
   * request, it stayed counted for good, and enough of them refused every new connection.
   */
  @Test
  void aWebSocketAskedForAmongOtherProtocolsIsCountedOutWhenItCloses(Vertx vertx) throws Exception {
    WebNode web = synced(vertx, new ScriptedViewSource(), limits(1000, 300, 300));
    String[] upgrades = {"Upgrade: h2c\r\nUpgrade: websocket", "Upgrade: WebSocket\r\nUpgrade: h2c"};
    for (String path : new String[] {"/api/stream/counter", "/eventbus/000/several/websocket"}) {
      for (String upgrade : upgrades) {
        try (RawHttp http = RawHttp.connect(web.port())) {
          http.send("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n" + upgrade + "\r\n"
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
          assertThat(http.readResponse().status()).as(path + ", " + upgrade).isEqualTo(101);
          http.readFrame(); // the snapshot, or SockJS's open frame
        }
        Wait.until(path + ", " + upgrade + ": no connection is left", () -> web.openConnections() == 0);
      }
    }
  }

  /** A request whose body never completes (a byte, then nothing) is cut after the head timeout, and counted. */
  @Test
  void aRequestBodyThatNeverCompletesIsCut(Vertx vertx) throws Exception {
    WebNode web = Wait.on(WebNode.start(vertx, limits(1000, 1, 300)));
    try (RawHttp client = RawHttp.connect(web.port())) {
      client.send("POST /eventbus/000/slow/xhr_send HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n"
        + "Content-Length: 1000\r\n\r\n[");
      assertThat(client.closedByServer(OPEN_FOR_MILLIS)).as("the slow body's connection was closed").isTrue();
    }
    Wait.until("the close is counted", () -> web.openConnections() == 0);
    assertThat(metrics(vertx, web)).contains("wikirecent_web_connections_closed_total{reason=\"request_body\"} 1.0");
  }

  /** A multipart POST to the SockJS endpoint leaves no file behind (vertx-web's default BodyHandler keeps uploads). */
  @Test
  void aMultipartPostLeavesNoFile(Vertx vertx) throws Exception {
    java.nio.file.Path uploads = java.nio.file.Path.of("file-uploads");
    long before = countFiles(uploads);
    WebNode web = Wait.on(WebNode.start(vertx, null));
    String body = "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
      + "x".repeat(1000) + "\r\n--b--\r\n";
    try (RawHttp client = RawHttp.connect(web.port())) {
      client.send("POST /eventbus/000/upload/xhr_send HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=b\r\n"
        + "Content-Length: " + body.length() + "\r\nConnection: close\r\n\r\n" + body);
      assertThat(client.readResponse().status()).isLessThan(500);
    }
    assertThat(countFiles(uploads)).isEqualTo(before);
  }

  private static long countFiles(java.nio.file.Path dir) throws IOException {
    if (!java.nio.file.Files.isDirectory(dir)) {
      return 0;
    }
    try (var files = java.nio.file.Files.list(dir)) {
      return files.count();
    }
  }

  @Test
  void connectionsThatNeverCompleteARequestHeadAreClosed(Vertx vertx) throws Exception {
    WebNode web = Wait.on(WebNode.start(vertx, limits(1000, 1, 300)));
    // One that sends nothing at all, and a slowloris: a header byte every 100 ms, never the end of the head.
    try (RawHttp silent = RawHttp.connect(web.port()); Socket slow = new Socket()) {
      slow.connect(new InetSocketAddress("127.0.0.1", web.port()), 10_000);
      AtomicBoolean cut = new AtomicBoolean();
      AtomicInteger sent = new AtomicInteger();
      Thread dribble = new Thread(() -> {
        try {
          OutputStream out = slow.getOutputStream();
          out.write("GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
          for (int i = 0; i < OPEN_FOR_MILLIS / 100; i++) {
            out.write('a');
            out.flush();
            sent.incrementAndGet();
            Thread.sleep(100);
          }
        } catch (IOException e) {
          cut.set(true); // the server closed it: a write fails (reset or broken pipe)
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "slowloris");
      dribble.start();

      assertThat(silent.closedByServer(OPEN_FOR_MILLIS)).as("the silent connection was closed").isTrue();
      dribble.join(OPEN_FOR_MILLIS + 10_000L);
      assertThat(cut).as("the slowloris was cut while still sending (after %d bytes)", sent.get()).isTrue();
    }
    Wait.until("both closes are counted", () -> web.openConnections() == 0);
    assertThat(metrics(vertx, web)).contains("wikirecent_web_connections_closed_total{reason=\"request_head\"} 2.0");
  }

  @Test
  void pastTheCapNewConnectionsAreRefusedAtOnceAndCounted(Vertx vertx) throws Exception {
    int cap = 20;
    WebNode web = Wait.on(WebNode.start(vertx, limits(cap, 300, 300)));
    List<RawHttp> held = new ArrayList<>();
    try {
      for (int i = 0; i < cap - 1; i++) {
        held.add(RawHttp.connect(web.port()));
      }
      Wait.until("the server counts " + (cap - 1) + " connections", () -> web.openConnections() == cap - 1);
      // One below the cap a probe still gets through.
      assertThat(Http.get(vertx, web.port(), "/health/live").statusCode()).isEqualTo(200);
      Wait.until("the probe's connection is gone", () -> web.openConnections() == cap - 1);

      held.add(RawHttp.connect(web.port()));
      Wait.until("the server is at the cap", () -> web.openConnections() == cap);
      int over = 5;
      for (int i = 0; i < over; i++) {
        try (RawHttp refused = RawHttp.connect(web.port())) {
          refused.send("GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n");
          assertThat(refused.closedByServer(OPEN_FOR_MILLIS)).as("connection %d over the cap was closed", i + 1).isTrue();
        } catch (IOException e) {
          // a reset while sending: refused too
        }
      }
      assertThat(web.openConnections()).as("the held connections are untouched").isEqualTo(cap);
      for (RawHttp h : held) {
        h.close();
      }
      Wait.until("the held connections are gone", () -> web.openConnections() == 0);
      assertThat(metrics(vertx, web)).contains("wikirecent_web_connections_refused_total " + over + ".0",
        "wikirecent_web_connections_max " + cap + ".0");
    } finally {
      for (RawHttp h : held) {
        h.close();
      }
    }
  }

  /**
   * A stream of a quiet instance is pinged about every half idle timeout: a peer gone without a word is found only by
   * writing to it.
   */
  @Test
  void aQuietStreamIsPinged(Vertx vertx) throws Exception {
    WebNode web = synced(vertx, new ScriptedViewSource(), limits(1000, 300, 1));
    try (RawHttp http = RawHttp.connect(web.port())) {
      http.send("GET /api/stream/counter HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
      assertThat(http.readResponse().status()).isEqualTo(101);
      assertThat(http.readFrame().first()).as("the snapshot").isEqualTo(0x81);
      for (int i = 0; i < 2; i++) {
        RawHttp.Frame ping = http.readFrame(); // within the socket's 30 s timeout: a quiet view sends nothing else
        assertThat(ping.first()).as("a ping").isEqualTo(0x89);
      }
    }
  }

  /**
   * So is a client of the bridge's raw WebSocket, which has no SockJS heartbeat: one that follows nothing gets nothing
   * else, and a peer of it gone without a word held its connection (and its follows) for good. It still speaks the
   * bridge: a register is answered by the view's snapshot, sent binary as vertx-web's raw transport sent it.
   */
  @Test
  void aQuietRawBridgeSocketIsPinged(Vertx vertx) throws Exception {
    WebNode web = synced(vertx, new ScriptedViewSource(), limits(1000, 300, 1));
    try (RawHttp http = RawHttp.connect(web.port())) {
      http.send("GET /eventbus/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
      assertThat(http.readResponse().status()).isEqualTo(101);
      for (int i = 0; i < 2; i++) {
        RawHttp.Frame ping = http.readFrame(); // within the socket's 30 s timeout
        assertThat(ping.first()).as("a ping").isEqualTo(0x89);
      }
    }
    BridgeWatcher bridge = BridgeWatcher.connect(vertx, web.port());
    bridge.follow("counter");
    Wait.until("the snapshot over the raw socket", () -> bridge.snapshotsApplied() == 1);
  }

  @Test
  void streamsQuieterThanTheTimeoutsKeepGettingBatches(Vertx vertx) throws Exception {
    ScriptedViewSource source = new ScriptedViewSource();
    WebNode web = synced(vertx, source, limits(1000, 1, 1));

    StreamWatcher stream = StreamWatcher.connect(vertx, web.port(), "counter");
    BridgeWatcher bridge = BridgeWatcher.connect(vertx, web.port());
    bridge.follow("counter");
    Wait.until("both have the snapshot", () -> stream.count() == 1 && bridge.snapshotsApplied() == 1);
    // Neither client sends anything now. Two idle connections opened after them are closed by the
    // 1 s timeouts one after the other: by then the streams have been quiet for longer than that.
    for (int i = 0; i < 2; i++) {
      try (RawHttp control = RawHttp.connect(web.port())) {
        assertThat(control.closedByServer(OPEN_FOR_MILLIS)).as("control connection %d was closed", i).isTrue();
      }
    }
    Wait.on(source.edit("Bob"));
    long last = Wait.on(source.lastTimestamp("counter"));
    Wait.until("both get the batch", () -> stream.timestamp() >= last && bridge.timestamp() >= last);
    assertThat(stream.closed()).isFalse();
    assertThat(stream.batches()).isEqualTo(1);
    assertThat(bridge.rows()).isEqualTo(Wait.on(source.expected("counter")));
    Wait.until("only the two streams are open", () -> web.openConnections() == 2);

    // A stream's connection is no longer counted once it closes.
    stream.close();
    bridge.close();
    Wait.until("no connection is left", () -> web.openConnections() == 0);
  }
}
