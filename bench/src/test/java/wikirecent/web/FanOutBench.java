package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import wikirecent.testsupport.Wait;
import wikirecent.testsupport.WebSockets;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Not a test: how long a top10 batch takes from the source's publish to N WebSocket clients.
 * From the repository root, after {@code mvn -q package -DskipTests}: {@code java -cp
 * bench/target/wikirecent-bench.jar:target/test-classes:test-support/target/classes:bench/target/test-classes wikirecent.web.FanOutBench [clients] [batches] [batchesPerSecond]}.
 * Clients run in the same JVM on their own Vert.x instance; on a shared 2-core box the numbers
 * are indicative only.
 */
public final class FanOutBench {

  public static void main(String[] args) throws Exception {
    try {
      run(args);
    } finally {
      System.exit(0); // Vert.x threads would keep a failed run alive
    }
  }

  private static void run(String[] args) throws Exception {
    int clients = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int batches = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
    int rate = args.length > 2 ? Integer.parseInt(args[2]) : 200;
    Vertx serverSide = Vertx.vertx();
    Vertx clientSide = Vertx.vertx();
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(serverSide.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(serverSide, null));
    Wait.on(source.edit("a", "b", "c", "d", "e"));
    Wait.until("synced", () -> Http.get(serverSide, web.port(), "/api/views/top10").statusCode() == 200);

    int[] latencies = new int[clients * (batches + 1)];
    AtomicLong received = new AtomicLong();
    AtomicLong lastFrameAt = new AtomicLong();
    WebSocketClient wsClient = clientSide.createWebSocketClient(new io.vertx.core.http.WebSocketClientOptions().setMaxConnections(clients));
    for (int i = 0; i < clients; i++) {
      WebSockets.open(clientSide, wsClient, web.port(), "/api/stream/top10", ws -> ws.textMessageHandler(text -> {
        long ts = timestamp(text);
        long n = received.getAndIncrement();
        lastFrameAt.set(System.nanoTime());
        if (n < latencies.length) {
          latencies[(int) n] = (int) (System.currentTimeMillis() - ts);
        }
      }));
    }
    System.out.println(clients + " clients connected");
    Wait.until("every client has its snapshot", () -> received.get() == clients);
    received.set(0);

    String[] users = {"a", "b", "c", "d", "e"};
    long start = System.nanoTime();
    long periodNanos = 1_000_000_000L / rate;
    for (int i = 0; i < batches; i++) {
      Wait.on(source.edit(users[i % users.length]));
      long due = start + (i + 1) * periodNanos;
      long sleep = due - System.nanoTime();
      if (sleep > 0) {
        Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
      }
    }
    // A client that falls behind gets several batches merged into one frame, so frames can be fewer than
    // clients x batches: done when no frame came for a second.
    long seen;
    do {
      seen = received.get();
      Thread.sleep(1000);
    } while (received.get() != seen);
    long expected = Math.min(seen, latencies.length);
    double seconds = (lastFrameAt.get() - start) / 1e9;
    int[] sorted = Arrays.copyOf(latencies, (int) expected);
    Arrays.sort(sorted);
    System.out.printf("%d clients x %d top10 batches at %d/s: %,d frames (of %,d batches x clients) in %.1f s (%,.0f frames/s); "
        + "publish-to-client latency ms p50 %d, p90 %d, p99 %d, max %d%n",
      clients, batches, rate, expected, (long) clients * batches, seconds, expected / seconds,
      atPercentile(sorted, 50), atPercentile(sorted, 90), atPercentile(sorted, 99), sorted[sorted.length - 1]);
    String server = web.inspect(f -> "server: most ever queued for one client " + f.maxQueuedBytes() + " bytes, stalled now " + f.stalledCount());
    System.out.println(server);
    clientSide.close();
    serverSide.close();
  }

  /** Nearest-rank, as the bench's Stats.percentile and HdrHistogram take it: the ceil(p/100 * n)-th smallest of sorted values. */
  static int atPercentile(int[] sorted, double percent) {
    long rank = (long) Math.ceil(percent / 100 * sorted.length - 1e-9);
    return sorted[(int) Math.min(sorted.length, Math.max(1, rank)) - 1];
  }

  /** The message's timestamp without a full JSON parse, so the clients cost little next to the server. */
  static long timestamp(String message) {
    int i = message.indexOf("\"timestamp\":") + 12;
    long ts = 0;
    while (i < message.length() && Character.isDigit(message.charAt(i))) {
      ts = ts * 10 + (message.charAt(i++) - '0');
    }
    return ts;
  }
}
