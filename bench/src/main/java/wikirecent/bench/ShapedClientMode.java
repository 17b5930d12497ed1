package wikirecent.bench;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code bench shaped-client ...}: the client side of the shaped-views scenario, in its own JVM. Client i
 * follows {@code /api/stream/<key i mod K>}. Every client checks that its first message is a snapshot and
 * counts what follows; clients 0..K-1 (one per set) also keep the set's rows from the snapshot and diffs,
 * and on {@code check} compare them with {@code GET /api/views/<key>}. Says {@code CONNECTED}, then (after
 * {@code start} and the warm-up) {@code WINDOW}, then {@code RESULT <json>}; on {@code check} it says
 * {@code CHECK <json>}; on {@code quit} (or end of input) it closes. Delivery latency: this machine's wall
 * clock on receipt minus the batch's timestamp (the engine's wall clock in ms when it closed the batch), for every
 * (batch, client) pair as in the fan-out ({@link BatchPairs}): a frame merging several batches delivers each, each
 * from its own timestamp, learnt from the frames of the set's clients; a batch never the newest of any of them is
 * not timed. The newest batch of each frame alone is reported too ("newest"), as rounds 6-14 measured.
 */
final class ShapedClientMode {

  private static final byte[] TIMESTAMP = "\"timestamp\":".getBytes(StandardCharsets.US_ASCII);
  // Quotes inside a user name are escaped, so this can only be the message's own flag.
  private static final byte[] SNAPSHOT_TRUE = "\"snapshot\":true".getBytes(StandardCharsets.US_ASCII);
  private static final long QUIET_NANOS = 2_000_000_000L;

  private String host = "127.0.0.1";
  private int port;
  private List<String> keys = List.of();
  private int clients = 100;
  private int warmupSeconds = 3;
  private int seconds = 10;

  private ShapedClientMode() {
  }

  static int main(String[] args) {
    ShapedClientMode m = new ShapedClientMode();
    try {
      for (int i = 0; i < args.length; i += 2) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(args[i] + " needs a value");
        }
        String v = args[i + 1];
        switch (args[i]) {
          case "--host" -> m.host = v;
          case "--port" -> m.port = Integer.parseInt(v);
          case "--keys" -> m.keys = Arrays.asList(v.split(","));
          case "--clients" -> m.clients = Integer.parseInt(v);
          case "--warmup" -> m.warmupSeconds = Integer.parseInt(v);
          case "--seconds" -> m.seconds = Integer.parseInt(v);
          default -> throw new IllegalArgumentException("unknown option " + args[i]);
        }
      }
      if (m.port <= 0 || m.keys.isEmpty() || m.clients < m.keys.size()) {
        throw new IllegalArgumentException("--port and --keys are required, and --clients at least the number of keys");
      }
    } catch (IllegalArgumentException e) {
      System.err.println("bench shaped-client: " + e.getMessage());
      System.err.println("usage (internal, started by bench shaped): bench shaped-client --port N --keys K1,K2,.. [--host H]"
        + " [--clients N] [--warmup S] [--seconds S]");
      return 2;
    }
    try {
      m.run();
      return 0;
    } catch (Exception e) {
      System.err.println("bench shaped-client failed: " + e);
      e.printStackTrace();
      return 1;
    }
  }

  private volatile boolean recording;

  private void run() throws Exception {
    int k = keys.size();
    Vertx vertx = Vertx.vertx();
    StreamClients load = new StreamClients(vertx, clients);
    Histogram latency = new Histogram(1, 600_000_000L, 3);
    Histogram newest = new ConcurrentHistogram(1, 600_000_000L, 3);
    // per set, the batches learnt and its clients' frames; per client, the timestamp of the state it holds (-1: none)
    List<BatchPairs> pairs = new ArrayList<>();
    for (int j = 0; j < k; j++) {
      pairs.add(new BatchPairs());
    }
    AtomicLongArray lastTimestamp = new AtomicLongArray(clients);
    for (int i = 0; i < clients; i++) {
      lastTimestamp.set(i, -1);
    }
    AtomicLongArray messages = new AtomicLongArray(clients);
    AtomicLongArray snapshots = new AtomicLongArray(clients);
    AtomicLongArray diffsInWindow = new AtomicLongArray(clients);
    AtomicIntegerArray first = new AtomicIntegerArray(clients); // 0 nothing yet, 1 a snapshot, 2 a diff
    LongAdder framesInWindow = new LongAdder();
    LongAdder bytesInWindow = new LongAdder();
    LongAdder resyncsInWindow = new LongAdder();
    LongAdder badDeletes = new LongAdder();
    AtomicLong lastTracked = new AtomicLong(System.nanoTime());
    // per second of the window: the worst delivery, to tell a stall from a steady lag
    AtomicLongArray worstPerSecond = new AtomicLongArray(seconds + 2);
    List<Map<String, Integer>> rows = new ArrayList<>();
    for (int j = 0; j < k; j++) {
      rows.add(new HashMap<>());
    }
    Instant wallBase = Instant.now();
    long nanoBase = System.nanoTime();
    long wallBaseMicros = wallBase.getEpochSecond() * 1_000_000 + wallBase.getNano() / 1000;
    long t0 = System.nanoTime();
    load.connect(host, port, StreamClients.Transport.WEBSOCKET, i -> keys.get(i % k), clients, (client, data) -> {
      long nanos = System.nanoTime();
      byte[] b = data.getBytes();
      boolean snapshot = StreamClients.indexOf(b, SNAPSHOT_TRUE, 0) >= 0;
      messages.incrementAndGet(client);
      first.compareAndSet(client, 0, snapshot ? 1 : 2);
      long snapshotsSoFar = snapshot ? snapshots.incrementAndGet(client) : snapshots.get(client);
      int at = StreamClients.indexOf(b, TIMESTAMP, 0);
      long ts = at < 0 ? -1 : StreamClients.numberAfter(b, at + TIMESTAMP.length, b.length);
      long before = ts > 0 ? lastTimestamp.getAndAccumulate(client, ts, Math::max) : lastTimestamp.get(client);
      BatchPairs set = pairs.get(client % k);
      if (!snapshot && ts > 0) {
        set.learn(ts);
      }
      if (recording) {
        framesInWindow.increment();
        bytesInWindow.add(b.length);
        if (snapshot && snapshotsSoFar > 1) {
          resyncsInWindow.increment(); // fell behind and was sent the whole set again
        } else if (!snapshot) {
          diffsInWindow.incrementAndGet(client);
          if (ts > before) {
            long nowMicros = wallBaseMicros + (nanos - nanoBase) / 1000;
            newest.recordValue(Stats.clampMicros(nowMicros - ts * 1000));
            set.received(before, ts, nowMicros, -1);
          }
        }
      }
      if (client < k) {
        Map<String, Integer> state = rows.get(client);
        synchronized (state) {
          badDeletes.add(apply(state, new JsonObject(data)));
        }
        lastTracked.set(nanos);
      }
    }).toCompletionStage().toCompletableFuture().get(10, TimeUnit.MINUTES);
    double connectSeconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("CONNECTED %d %.2f%n", clients, connectSeconds);
    System.out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    in.readLine(); // the parent starts the feed, then says so
    Thread.sleep(warmupSeconds * 1000L);
    int closedBefore = load.closedCount();
    long w0 = System.nanoTime();
    recording = true;
    System.out.println("WINDOW");
    System.out.flush();
    Thread.sleep(seconds * 1000L);
    recording = false;
    double window = (System.nanoTime() - w0) / 1e9;
    Thread.sleep(100); // let the handlers in flight finish before reading the histogram
    long windowStartMicros = wallBaseMicros + (w0 - nanoBase) / 1000;
    long frames = 0;
    for (BatchPairs set : pairs) {
      frames += set.expand((batch, receipt) -> {
        long micros = Stats.clampMicros(receipt - batch * 1000);
        latency.recordValue(micros);
        // per second of the window, by the frame's receipt
        int second = (int) Math.min(seconds + 1, Math.max(0, (receipt - windowStartMicros) / 1_000_000L));
        worstPerSecond.accumulateAndGet(second, micros, Math::max);
      }).frames();
    }
    List<Long> perClient = new ArrayList<>();
    int snapshotFirst = 0;
    int silent = 0;
    long total = 0;
    for (int i = 0; i < clients; i++) {
      perClient.add(diffsInWindow.get(i));
      snapshotFirst += first.get(i) == 1 ? 1 : 0;
      silent += first.get(i) == 0 ? 1 : 0;
      total += messages.get(i);
    }
    JsonObject result = new JsonObject()
      .put("clients", clients)
      .put("sets", k)
      .put("connectSeconds", connectSeconds)
      .put("windowSeconds", window)
      .put("framesPerSecond", framesInWindow.sum() / window)
      .put("bytesPerSecond", bytesInWindow.sum() / window)
      .put("diffsPerClientMin", (long) Stats.min(perClient))
      .put("diffsPerClientMedian", Stats.median(perClient))
      .put("diffsPerClientMax", (long) Stats.max(perClient))
      .put("snapshotFirst", snapshotFirst)
      .put("noMessage", silent)
      .put("messagesTotal", total)
      .put("resyncsInWindow", resyncsInWindow.sum())
      .put("closedInWindow", load.closedCount() - closedBefore)
      .put("samples", latency.getTotalCount())
      .put("framesTimed", frames)
      .put("p50Ms", Stats.ms(latency, 50))
      .put("p99Ms", Stats.ms(latency, 99))
      .put("p999Ms", Stats.ms(latency, 99.9))
      .put("maxMs", Stats.maxMs(latency))
      .put("newestP50Ms", Stats.ms(newest, 50))
      .put("newestP99Ms", Stats.ms(newest, 99))
      .put("worstMsPerSecond", worst(worstPerSecond));
    System.out.println("RESULT " + result.encode());
    System.out.flush();

    String line = in.readLine();
    if ("check".equals(line)) {
      System.out.println("CHECK " + check(rows, lastTracked, badDeletes.sum(), snapshots, clients).encode());
      System.out.flush();
      in.readLine();
    }
    load.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /**
   * Once the tracked clients have been quiet for 2 s (at most a minute), each one's rows against the REST snapshot
   * of its set, as multisets (row order is not compared).
   */
  private JsonObject check(List<Map<String, Integer>> rows, AtomicLong lastTracked, long badDeletes, AtomicLongArray snapshots,
                           int clients) throws Exception {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (System.nanoTime() - lastTracked.get() < QUIET_NANOS && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    int equal = 0;
    long rowsCompared = 0;
    JsonArray mismatched = new JsonArray();
    for (int j = 0; j < keys.size(); j++) {
      String key = keys.get(j);
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + "/api/views/" + key))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      Map<String, Integer> rest = new HashMap<>();
      if (r.statusCode() == 200) {
        apply(rest, new JsonObject(r.body()));
      }
      Map<String, Integer> mine = rows.get(j);
      synchronized (mine) {
        if (r.statusCode() == 200 && rest.equals(mine)) {
          equal++;
          rowsCompared += rest.values().stream().mapToLong(Integer::longValue).sum();
        } else if (mismatched.size() < 5) {
          mismatched.add(new JsonObject().put("key", key).put("status", r.statusCode()).put("clientRows", size(mine))
            .put("restRows", size(rest)));
        }
      }
    }
    long resyncs = 0;
    for (int i = 0; i < clients; i++) {
      resyncs += Math.max(0, snapshots.get(i) - 1);
    }
    return new JsonObject().put("sets", keys.size()).put("equal", equal).put("rowsCompared", rowsCompared)
      .put("mismatched", mismatched).put("badDeletes", badDeletes).put("resyncsTotal", resyncs);
  }

  private static JsonArray worst(AtomicLongArray perSecond) {
    JsonArray out = new JsonArray();
    for (int i = 0; i < perSecond.length(); i++) {
      out.add(Math.round(perSecond.get(i) / 100.0) / 10.0);
    }
    return out;
  }

  /** Applies a snapshot (replaces) or a diff (removes each deleted row once, adds the inserted); returns deletes that did not fit. */
  static int apply(Map<String, Integer> rows, JsonObject message) {
    int bad = 0;
    if (message.getBoolean("snapshot", false)) {
      rows.clear();
    } else {
      JsonArray deleted = message.getJsonArray("deleted", new JsonArray());
      for (int d = 0; d < deleted.size(); d++) {
        String row = deleted.getJsonArray(d).encode();
        Integer n = rows.get(row);
        if (n == null) {
          bad++;
        } else if (n == 1) {
          rows.remove(row);
        } else {
          rows.put(row, n - 1);
        }
      }
    }
    JsonArray inserted = message.getJsonArray("inserted", new JsonArray());
    for (int r = 0; r < inserted.size(); r++) {
      rows.merge(inserted.getJsonArray(r).encode(), 1, Integer::sum);
    }
    return bad;
  }

  private static long size(Map<String, Integer> rows) {
    return rows.values().stream().mapToLong(Integer::longValue).sum();
  }
}
