package wikirecent.bench;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code bench client ...}: the client side of the fan-out scenario, in its own JVM so the server's
 * heap and RSS are the server's alone. Connects the clients, says {@code CONNECTED}, warms up,
 * measures for a window (saying {@code WINDOW} as it begins), says {@code RESULT <json>}, then keeps
 * the clients connected until a line (or end of input) arrives on stdin, so the parent can weigh the
 * server with them still there.
 * Delivery latency is this machine's wall clock on receipt minus the batch's timestamp (the
 * engine's wall clock, in ms, when it closed the batch), for every (batch, client) pair: a frame that
 * merges several batches delivers each of them, and each counts from its own timestamp ({@link BatchPairs}:
 * the batches' timestamps are learnt from the frames of all clients); the newest batch of each frame alone
 * is reported too ("newest"), as earlier rounds measured. A batch that was never the newest of any client's
 * frame cannot be timed: {@code missingPairsAtMost} bounds the pairs left out in the window from the counter's
 * events, and on {@code batches} (said once the parent has stopped the feed) it says {@code BATCHES <json>} with
 * every batch it learnt since the start, for the parent to hold against the batches the engine published.
 */
final class ClientMode {

  private String host = "127.0.0.1";
  private int port;
  private StreamClients.Transport transport = StreamClients.Transport.WEBSOCKET;
  private String view = "counter";
  private int clients = 100;
  private int warmupSeconds = 3;
  private int seconds = 10;
  private boolean waitStart;

  private ClientMode() {
  }

  static int main(String[] args) {
    ClientMode m = new ClientMode();
    try {
      for (int i = 0; i < args.length; i += 2) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(args[i] + " needs a value");
        }
        String v = args[i + 1];
        switch (args[i]) {
          case "--host" -> m.host = v;
          case "--port" -> m.port = Integer.parseInt(v);
          case "--transport" -> m.transport = StreamClients.Transport.of(v);
          case "--view" -> m.view = v;
          case "--clients" -> m.clients = Integer.parseInt(v);
          case "--warmup" -> m.warmupSeconds = Integer.parseInt(v);
          case "--seconds" -> m.seconds = Integer.parseInt(v);
          case "--wait-start" -> m.waitStart = Boolean.parseBoolean(v);
          default -> throw new IllegalArgumentException("unknown option " + args[i]);
        }
      }
      if (m.port <= 0) {
        throw new IllegalArgumentException("--port is required");
      }
    } catch (IllegalArgumentException e) {
      System.err.println("bench client: " + e.getMessage());
      System.err.println("usage (internal, started by bench fanout): bench client --port N [--host H] [--transport websocket|sockjs]"
        + " [--view counter] [--clients N] [--warmup S] [--seconds S] [--wait-start true]");
      return 2;
    }
    try {
      m.run();
      return 0;
    } catch (Exception e) {
      System.err.println("bench client failed: " + e);
      e.printStackTrace();
      return 1;
    }
  }

  private volatile boolean recording;

  private void run() throws Exception {
    Vertx vertx = Vertx.vertx();
    StreamClients load = new StreamClients(vertx, clients);
    Histogram newest = new ConcurrentHistogram(1, 600_000_000L, 3);
    Histogram latency = new Histogram(1, 600_000_000L, 3);
    LongAdder batches = new LongAdder();
    LongAdder bytes = new LongAdder();
    LongAdder snapshots = new LongAdder();
    AtomicLongArray perClient = new AtomicLongArray(clients);
    // per client, the state it holds (timestamp, and the counter's count: -1 none yet)
    AtomicLongArray lastTimestamp = new AtomicLongArray(clients);
    AtomicLongArray lastCount = new AtomicLongArray(clients);
    for (int i = 0; i < clients; i++) {
      lastTimestamp.set(i, -1);
      lastCount.set(i, -1);
    }
    BatchPairs pairs = new BatchPairs();
    Instant wallBase = Instant.now();
    long nanoBase = System.nanoTime();
    long wallBaseMicros = wallBase.getEpochSecond() * 1_000_000 + wallBase.getNano() / 1000;
    long t0 = System.nanoTime();
    // SockJS: one session follows every view listed, as the dashboard does; a raw WebSocket follows the first one.
    List<String> views = List.of(view.split(","));
    StreamClients.Listener listener = (client, ts, count, snapshot, size, nanos) -> {
      // A client's state only moves forward (a SockJS session's snapshot reply may come after a newer batch).
      long before = lastTimestamp.getAndAccumulate(client, ts, Math::max);
      long countBefore = lastCount.getAndAccumulate(client, count, Math::max);
      if (!snapshot) {
        pairs.learn(ts);
      }
      if (!recording) {
        return;
      }
      bytes.add(size);
      if (snapshot) {
        snapshots.increment(); // a client that fell behind is re-synced with a snapshot
        return;
      }
      batches.increment();
      perClient.incrementAndGet(client);
      long nowMicros = wallBaseMicros + (nanos - nanoBase) / 1000;
      newest.recordValue(Stats.clampMicros(nowMicros - ts * 1000));
      pairs.received(before, ts, nowMicros, eventsBetween(countBefore, count));
    };
    (transport == StreamClients.Transport.SOCKJS ? load.connectSockJs(host, port, views, clients, listener)
      : load.connect(host, port, transport, views.get(0), clients, listener))
      .toCompletionStage().toCompletableFuture().get(10, TimeUnit.MINUTES);
    double connectSeconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("CONNECTED %d %.2f%n", clients, connectSeconds);
    System.out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    if (waitStart) {
      in.readLine(); // the parent starts the feed, then says so
    }
    Thread.sleep(warmupSeconds * 1000L);
    int closedBefore = load.closedCount();
    long w0 = System.nanoTime();
    long framesBefore = load.framesReceived();
    recording = true;
    System.out.println("WINDOW"); // the parent reads both processes' CPU time from here to RESULT
    System.out.flush();
    Thread.sleep(seconds * 1000L);
    recording = false;
    long framesInWindow = load.framesReceived() - framesBefore;
    double window = (System.nanoTime() - w0) / 1e9;
    Thread.sleep(100); // let the handlers in flight finish before reading the histogram
    BatchPairs.Expansion expansion = pairs.expand((batch, receipt) -> latency.recordValue(Stats.clampMicros(receipt - batch * 1000)));
    List<Long> counts = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      counts.add(perClient.get(i));
    }
    long total = batches.sum();
    JsonObject result = new JsonObject()
      .put("transport", transport.label())
      .put("clients", clients)
      .put("connectSeconds", connectSeconds)
      .put("deflated", load.deflatedCount())
      .put("windowSeconds", window)
      .put("batchesReceived", total)
      .put("framesPerSecond", (total + snapshots.sum()) / window)
      .put("allFramesPerSecond", framesInWindow / window)
      .put("bytesPerSecond", bytes.sum() / window)
      .put("batchesPerClientMin", (long) Stats.min(counts))
      .put("batchesPerClientMedian", Stats.median(counts))
      .put("batchesPerClientMax", (long) Stats.max(counts))
      .put("snapshotsInWindow", snapshots.sum())
      .put("closedInWindow", load.closedCount() - closedBefore)
      .put("p50Ms", Stats.ms(latency, 50))
      .put("p99Ms", Stats.ms(latency, 99))
      .put("p999Ms", Stats.ms(latency, 99.9))
      .put("p99IfUntimedSlowestMs", Stats.msIfUntimedSlowest(latency, 99, expansion.unaccounted()))
      .put("maxMs", Stats.maxMs(latency))
      .put("batchPairs", expansion.pairs())
      .put("missingPairsAtMost", expansion.unaccounted())
      .put("learntBatches", pairs.learnt())
      .put("newestP50Ms", Stats.ms(newest, 50))
      .put("newestP99Ms", Stats.ms(newest, 99));
    System.out.println("RESULT " + result.encode());
    System.out.flush();
    // Stay connected until told (or until the parent goes away); "batches", once the feed has stopped, first.
    String line = in.readLine();
    if ("batches".equals(line)) {
      awaitQuiet(load);
      System.out.println("BATCHES " + new JsonObject().put("learntBatches", pairs.learnt()).encode());
      System.out.flush();
      in.readLine();
    }
    load.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /**
   * The most batches a counter frame can hold: the events it adds (each batch holds at least one), or -1 when a count is
   * missing (a view other than the counter).
   */
  static long eventsBetween(long countBefore, long count) {
    return countBefore < 0 || count < countBefore ? -1 : count - countBefore;
  }

  /** Until no frame has come for 2 s (at most a minute): the node has sent what the stopped feed gave it. */
  private static void awaitQuiet(StreamClients load) throws InterruptedException {
    long deadline = System.nanoTime() + 60_000_000_000L;
    long seen = load.framesReceived();
    long quietSince = System.nanoTime();
    while (System.nanoTime() - quietSince < 2_000_000_000L && System.nanoTime() < deadline) {
      Thread.sleep(100);
      long now = load.framesReceived();
      if (now != seen) {
        seen = now;
        quietSince = System.nanoTime();
      }
    }
  }
}
