package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import wikirecent.config.Config;
import wikirecent.testsupport.LogCapture;
import wikirecent.testsupport.StreamWatcher;
import wikirecent.testsupport.Wait;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that stops reading must not stop the others nor grow the server's memory: its queue
 * stays under {@code web.clientQueueBytes} (plus one message and its snapshot) while megabytes flow past it.
 */
@ExtendWith(VertxExtension.class)
class SlowClientIT {

  private static final int BOUND = 64 * 1024;
  private static final int USERS = 2000;
  private static final int ROUNDS = 2000;
  private static final int EDITS_PER_ROUND = 400;

  @RegisterExtension
  final LogCapture logs = new LogCapture(org.slf4j.Logger.ROOT_LOGGER_NAME);

  /** What the fan-out knows about one client, read on its event loop. */
  record Seen(boolean present, boolean stalled, long queued, long maxQueued, long dropped) {
  }

  private static Seen seen(WebNode web, int clientPort) {
    return web.inspect(f -> f.clients().stream()
      .filter(c -> c.remoteAddress().port() == clientPort)
      .findFirst()
      .map(c -> new Seen(true, c.stalled, c.queuedBytes, c.maxQueuedBytes, c.framesDropped))
      .orElse(new Seen(false, false, 0, 0, 0)));
  }

  private static String[] names() {
    String[] names = new String[USERS];
    for (int i = 0; i < USERS; i++) {
      names[i] = String.format("user%04d", i);
    }
    return names;
  }

  private static StuckClient stuck(String transport, int port) throws Exception {
    if (transport.equals("websocket")) {
      return StuckClient.open(port, "/api/stream/user_edits");
    }
    // SockJS's own WebSocket transport (what browsers use): frames are SockJS-encoded arrays of strings.
    StuckClient c = StuckClient.open(port, "/eventbus/000/stuck" + (int) (Math.random() * 1000) + "/websocket");
    c.sendText(new JsonArray().add(new JsonObject().put("type", "register").put("address", "views.user_edits").encode()).encode());
    return c;
  }

  /**
   * Heap in use after GC plus the direct memory Netty holds: a socket's queued frames end up
   * off-heap (Netty copies heap buffers to direct ones when they are written to a channel).
   */
  static long usedMemoryAfterGc() throws InterruptedException {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      System.gc();
      Thread.sleep(100);
      used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() + directMemory());
    }
    return used;
  }

  static long directMemory() {
    long netty = io.netty.util.internal.PlatformDependent.usedDirectMemory();
    long jdk = ManagementFactory.getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class).stream()
      .filter(b -> b.getName().equals("direct")).mapToLong(java.lang.management.BufferPoolMXBean::getMemoryUsed).sum();
    return Math.max(netty, jdk); // Netty counts the JDK's direct buffers it makes too

  }

  @ParameterizedTest(name = "stuck client on {0}")
  @ValueSource(strings = {"websocket", "sockjs"})
  void aClientThatStopsReadingNeitherStopsTheOthersNorGrowsTheHeap(String transport, Vertx vertx) throws Exception {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, new JsonObject()
      .put(Config.WEB_CLIENT_QUEUE_BYTES, BOUND).put(Config.WEB_STUCK_CLIENT_MILLIS, 600_000)));
    String[] names = names();
    Wait.on(source.edit(names));
    Wait.until("synced", () -> Http.get(vertx, web.port(), "/api/views/user_edits").bodyAsJsonObject()
      .getJsonArray("inserted").size() == USERS);

    StreamWatcher reader = StreamWatcher.connect(vertx, web.port(), "user_edits", false);
    BridgeWatcher bridgeReader = BridgeWatcher.connect(vertx, web.port(), false);
    bridgeReader.follow("user_edits");
    try (StuckClient stuck = stuck(transport, web.port())) {
      Wait.until("the stuck client follows user_edits", () -> web.inspect(f -> f.clients().stream()
        .anyMatch(c -> c.remoteAddress().port() == stuck.localPort() && c.keys.contains("user_edits"))));
      long heapBefore = usedMemoryAfterGc();

      Random random = new Random(42);
      long published = 0;
      long largest = 0;
      long maxSampled = 0;
      for (int round = 0; round < ROUNDS; round++) {
        String[] users = new String[EDITS_PER_ROUND];
        for (int i = 0; i < users.length; i++) {
          users[i] = names[random.nextInt(USERS)];
        }
        for (JsonObject batch : Wait.on(source.edit(users))) {
          if (batch.getString("view").equals("user_edits")) {
            int length = batch.encode().length();
            published += length;
            largest = Math.max(largest, length);
          }
        }
        if (round % 25 == 0) {
          maxSampled = Math.max(maxSampled, seen(web, stuck.localPort()).queued());
        }
      }
      long last = Wait.on(source.lastTimestamp("user_edits"));
      JsonArray expected = Wait.on(source.expected("user_edits"));
      // Readers that fell behind catch up through a fresh snapshot once drained: on a busy machine that can take a while.
      Wait.until("the reading clients got everything", Duration.ofSeconds(120),
        () -> reader.timestamp() >= last && bridgeReader.timestamp() >= last,
        () -> "last published " + last + ", stream reader at " + reader.timestamp() + ", bridge reader at " + bridgeReader.timestamp());
      long heapAfter = usedMemoryAfterGc();
      Seen stuckSeen = seen(web, stuck.localPort());
      String snapshotJson = Http.get(vertx, web.port(), "/api/views/user_edits").bodyAsString();
      long allowed = BOUND + largest + snapshotJson.length() + 256; // the bound, one message over it, the snapshot in flight

      System.out.printf("[%s] published %,d bytes of user_edits batches (largest %,d); stuck client: stalled=%s, "
          + "max queued %,d bytes (bound %,d), %,d frames dropped; heap after GC + direct memory %,d -> %,d (%+,d bytes)%n",
        transport, published, largest, stuckSeen.stalled(), stuckSeen.maxQueued(), BOUND, stuckSeen.dropped(),
        heapBefore, heapAfter, heapAfter - heapBefore);

      // The others got everything, in order, with no divergence.
      assertThat(reader.diverged()).isFalse();
      assertThat(reader.rows()).isEqualTo(expected);
      assertThat(bridgeReader.diverged()).isFalse();
      assertThat(bridgeReader.rows()).isEqualTo(expected);
      // The stuck client was cut off at its bound instead of buffering everything.
      assertThat(stuckSeen.present()).isTrue();
      assertThat(stuckSeen.stalled()).isTrue();
      assertThat(stuckSeen.dropped()).isGreaterThan(ROUNDS / 2);
      assertThat(stuckSeen.maxQueued()).isLessThanOrEqualTo(allowed);
      assertThat(maxSampled).isLessThanOrEqualTo(allowed);
      assertThat(web.inspect(FanOut::maxQueuedBytes)).as("no client ever had more queued").isLessThanOrEqualTo(allowed);
      // And memory shows it: far less than what flowed past the stuck client (without the bound: +24 MB here).
      assertThat(published).isGreaterThan(20_000_000L);
      assertThat(heapAfter - heapBefore).isLessThan(published * 2 / 5);
    }
    reader.close();
    bridgeReader.close();
  }

  @Test
  void aClientStuckForLongIsDisconnected(Vertx vertx) throws Exception {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, new JsonObject()
      .put(Config.WEB_CLIENT_QUEUE_BYTES, 16 * 1024).put(Config.WEB_STUCK_CLIENT_MILLIS, 1000)));
    String[] names = names();
    Wait.on(source.edit(names));
    Wait.until("synced", () -> Http.get(vertx, web.port(), "/api/views/user_edits").statusCode() == 200);
    StreamWatcher reader = StreamWatcher.connect(vertx, web.port(), "user_edits", false);
    try (StuckClient stuck = StuckClient.open(web.port(), "/api/stream/user_edits")) {
      Wait.until("the stuck client is known", () -> seen(web, stuck.localPort()).present());
      Random random = new Random(1);
      // Generous: on a loaded 2-core machine filling the socket buffers can take a while.
      long deadline = System.nanoTime() + 4 * Wait.LONG.toNanos();
      while (seen(web, stuck.localPort()).present() && System.nanoTime() < deadline) {
        String[] users = new String[EDITS_PER_ROUND];
        for (int i = 0; i < users.length; i++) {
          users[i] = names[random.nextInt(USERS)];
        }
        Wait.on(source.edit(users));
      }
      assertThat(seen(web, stuck.localPort()).present()).as("the stuck client was dropped").isFalse();
      assertThat(Http.get(vertx, web.port(), "/metrics").bodyAsString())
        .contains("wikirecent_web_clients_closed_stuck_total{transport=\"websocket\"} 1.0");
      assertThat(stuck.drainUntilClosed()).as("the server closed the connection").isTrue();
      // The reader was not affected.
      long last = Wait.on(source.lastTimestamp("user_edits"));
      Wait.until("the reader caught up", () -> reader.timestamp() >= last);
      assertThat(reader.rows()).isEqualTo(Wait.on(source.expected("user_edits")));
      assertThat(reader.closed()).isFalse();
    }
    reader.close();
  }

  /** Clients decide how often they stall and get closed: however many do, the log gets a few short lines. */
  @Test
  void manyStuckClientsAreClosedWithAFewLogLines(Vertx vertx) throws Exception {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, new JsonObject()
      .put(Config.WEB_CLIENT_QUEUE_BYTES, 16 * 1024).put(Config.WEB_STUCK_CLIENT_MILLIS, 500)));
    String[] names = names();
    Wait.on(source.edit(names));
    Wait.until("synced", () -> Http.get(vertx, web.port(), "/api/views/user_edits").statusCode() == 200);
    int perTransport = 10;
    List<StuckClient> stuck = new ArrayList<>();
    try {
      for (int i = 0; i < perTransport; i++) {
        stuck.add(stuck("websocket", web.port()));
        stuck.add(stuck("sockjs", web.port()));
      }
      Wait.until("all follow user_edits", () -> web.inspect(f -> f.clients().stream().filter(c -> c.keys.contains("user_edits")).count())
        == 2L * perTransport);
      long started = System.nanoTime();
      Random random = new Random(7);
      long deadline = started + Wait.LONG.toNanos();
      while (web.inspect(f -> f.clients().size()) > 0 && System.nanoTime() < deadline) {
        String[] users = new String[EDITS_PER_ROUND];
        for (int i = 0; i < users.length; i++) {
          users[i] = names[random.nextInt(USERS)];
        }
        Wait.on(source.edit(users));
      }
      long seconds = (System.nanoTime() - started) / 1_000_000_000 + 1;
      int left = web.inspect(f -> f.clients().size());
      assertThat(left).as("every stuck client was closed").isZero();
      assertThat(Http.get(vertx, web.port(), "/metrics").bodyAsString()).contains(
        "wikirecent_web_clients_closed_stuck_total{transport=\"websocket\"} " + perTransport + ".0",
        "wikirecent_web_clients_closed_stuck_total{transport=\"sockjs\"} " + perTransport + ".0");

      assertThat(logs.events()).as("no stack traces").allSatisfy(e -> assertThat(e.getThrowableProxy()).isNull());
      List<String> fanOutLines = logs.events().stream().filter(e -> e.getLoggerName().endsWith(".FanOut"))
        .map(e -> e.getLevel() + " " + e.getFormattedMessage()).toList();
      // Three kinds of line (stalled, closed, left), each at most once per 10 s.
      assertThat(fanOutLines).as("%d stuck clients in %d s", 2 * perTransport, seconds).hasSizeLessThanOrEqualTo((int) (3 * (seconds / 10 + 1)));
    } finally {
      for (StuckClient c : stuck) {
        c.close();
      }
    }
  }
}
