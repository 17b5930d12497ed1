package wikirecent.bench;

import wikirecent.testsupport.Dirs;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import wikirecent.bus.Addresses;
import wikirecent.config.Config;
import wikirecent.bus.Views;
import wikirecent.replay.ReplayOptions;
import wikirecent.replay.ReplayServer;
import wikirecent.web.WebVerticle;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * 2. Latency. The replay server sends the bundled sample (looped) at a fixed rate; ingest, the
 * engine and the web part run as in production; N WebSocket clients follow
 * {@code /api/stream/counter}. The replay's write hook records when event k went out; a counter
 * message with count c holds every event k &lt; c (the file starts empty and ingest writes every
 * event, in order), so when a client receives count c, each sampled event in (its previous count,
 * c] gets a latency: receipt minus send. Everything in this JVM on three Vert.x instances
 * (upstream, server, clients): one clock, {@code System.nanoTime}.
 */
final class LatencyScenario {

  private static final int WARMUP_SECONDS = 3;
  /** About this many events per second are sampled (every event at 50/s, every 20th at 1,000/s). */
  private static final int SAMPLED_PER_SECOND = 50;

  private LatencyScenario() {
  }

  static Report.Table run(BenchOptions o, Path tmp) throws Exception {
    Report.Table t = new Report.Table("latency",
      "2. Latency: replay write -> ingest -> file -> engine -> web -> WebSocket client receiving the counter batch that holds the event")
      .column("rate", "target ev/s", "%,d")
      .column("achieved", "sent ev/s", "%,.0f")
      .column("clients", "clients", "%,d")
      .column("samples", "samples", "%,d")
      .column("busP50Ms", "bus p50 ms", "%.2f")
      .column("busP99Ms", "bus p99 ms", "%.2f")
      .column("p50Ms", "p50 ms", "%.2f")
      .column("p99Ms", "p99 ms", "%.2f")
      .column("p999Ms", "p99.9 ms", "%.2f")
      .column("maxMs", "max ms", "%.1f")
      .column("batchesPerSecond", "counter frames/s per client", "%,.0f")
      .column("missing", "missing", "%,d")
      .column("resyncs", "resyncs", "%,d");
    for (long clients : o.latencyClients) {
      for (long rate : o.latencyRates) {
        Path dir = Files.createTempDirectory(tmp, "rate" + rate);
        try {
          measure(t, rate, (int) clients, o.latencySeconds, dir);
        } finally {
          Dirs.deleteTree(dir);
        }
      }
    }
    t.note("one run per rate: " + o.latencySeconds + " s measured after " + WARMUP_SECONDS + " s of warm-up; percentiles over every"
      + " (sampled event, client) pair: every event at <= " + SAMPLED_PER_SECOND + "/s, else every (rate/" + SAMPLED_PER_SECOND + ")th");
    t.note("send time = the replay server's write hook (just before it writes the chunk holding the event to its HTTP response);"
      + " receipt = the client's WebSocket handler; same JVM, System.nanoTime");
    t.note("bus p50/p99: the same events timed to the counter batch on the server's event bus (replay -> ingest -> file ->"
      + " engine -> publish), before the web part fans it out; the other percentiles are at the clients");
    t.note("missing: sampled (event, client) pairs not received within 10 s after the window (0 = every client saw every event);"
      + " resyncs: snapshots a client got in the window because it fell behind (web.clientQueueBytes)");
    t.note("the replay paces with a 10 ms timer, so at 1,000 and 10,000 ev/s events leave in bursts of 10 and 100 per write");
    return t;
  }

  private static void measure(Report.Table t, long rate, int clients, int seconds, Path dataDir) throws Exception {
    int capacity = (int) Math.min(Integer.MAX_VALUE - 16, rate * (WARMUP_SECONDS + seconds + 60L) + 10_000);
    AtomicLongArray sent = new AtomicLongArray(capacity);
    AtomicLong lastSent = new AtomicLong(-1);
    long stride = Math.max(1, rate / SAMPLED_PER_SECOND);
    Histogram latency = new ConcurrentHistogram(1, 600_000_000L, 3);
    Histogram busLatency = new ConcurrentHistogram(1, 600_000_000L, 3);
    long[] busPrev = {0};
    long[] prevCount = new long[clients];
    long[] batches = new long[clients];
    AtomicLong resyncs = new AtomicLong();
    AtomicLong recorded = new AtomicLong();
    // send-time bounds of the events that count
    AtomicLong windowStart = new AtomicLong(Long.MAX_VALUE);
    AtomicLong windowEnd = new AtomicLong(Long.MIN_VALUE);

    Vertx upstream = Vertx.vertx();
    Vertx server = Vertx.vertx();
    Vertx clientSide = Vertx.vertx();
    StreamClients load = null;
    try {
      ReplayServer replay = Parts.await(ReplayServer.start(upstream, new ReplayOptions().port(0).rate(rate).loop(true)
        .heartbeatSeconds(0).writeListener((first, end) -> {
          long now = System.nanoTime();
          for (long k = first; k < end && k < capacity; k++) {
            sent.set((int) k, now);
          }
          lastSent.set(end - 1);
        })), Duration.ofMinutes(1));
      JsonObject config = Parts.config(dataDir, new JsonObject().put(Config.STREAM_URL, replay.url()));
      // The same measure on the server's event bus, before the fan-out: the pipeline's share of the latency.
      server.eventBus().<JsonObject>consumer(Addresses.view(Views.COUNTER.viewName()), m -> {
        long now = System.nanoTime();
        long count = Parts.count(m.body());
        long lo = windowStart.get();
        long hi = windowEnd.get();
        for (long k = (busPrev[0] + stride - 1) / stride * stride; k < count && k < capacity; k += stride) {
          long s = sent.get((int) k);
          if (s != 0 && s >= lo && s <= hi) {
            busLatency.recordValue(Stats.clampMicros((now - s) / 1000));
          }
        }
        busPrev[0] = Math.max(busPrev[0], count);
      });
      Parts.deployEngine(server, config);
      WebVerticle web = Parts.deployWeb(server, config);
      Parts.awaitHttp200("http://127.0.0.1:" + web.port() + "/api/views/counter", Duration.ofMinutes(1));

      load = new StreamClients(clientSide, clients);
      Parts.await(load.connect("127.0.0.1", web.port(), StreamClients.Transport.WEBSOCKET, "counter", clients,
        (client, ts, count, snapshot, bytes, nanos) -> {
          long prev = prevCount[client];
          if (snapshot && prev > 0) {
            resyncs.incrementAndGet();
          }
          if (!snapshot) {
            batches[client]++;
          }
          if (count <= prev) {
            return;
          }
          long from = (prev + stride - 1) / stride * stride;
          long lo = windowStart.get();
          long hi = windowEnd.get();
          for (long k = from; k < count && k < capacity; k += stride) {
            long s = sent.get((int) k);
            if (s != 0 && s >= lo && s <= hi) {
              latency.recordValue(Stats.clampMicros((nanos - s) / 1000));
              recorded.incrementAndGet();
            }
          }
          prevCount[client] = count;
        }), Duration.ofMinutes(5));

      Parts.deployIngest(server, config); // the stream starts
      Thread.sleep(WARMUP_SECONDS * 1000L);
      long firstInWindow = lastSent.get() + 1;
      long w0 = System.nanoTime();
      windowEnd.set(Long.MAX_VALUE);
      windowStart.set(w0);
      long[] batchesBefore = batches.clone();
      long resyncsBefore = resyncs.get();
      Thread.sleep(seconds * 1000L);
      long w1 = System.nanoTime();
      windowEnd.set(w1);
      long lastInWindow = lastSent.get();
      double windowSeconds = (w1 - w0) / 1e9;
      long batchesInWindow = 0;
      for (int i = 0; i < clients; i++) {
        batchesInWindow += batches[i] - batchesBefore[i];
      }
      // The events that count are those sent within [w0, w1]; look a little around the offsets read at the edges.
      long sampledEvents = 0;
      long sentInWindow = 0;
      for (long k = Math.max(0, firstInWindow - 10_000); k <= lastInWindow + 10_000 && k < capacity; k++) {
        long s = sent.get((int) k);
        if (s != 0 && s >= w0 && s <= w1) {
          sentInWindow++;
          if (k % stride == 0) {
            sampledEvents++;
          }
        }
      }
      long expected = sampledEvents * clients;
      // Wait (up to 10 s) until every client has seen the window's last event.
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (recorded.get() < expected && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      t.row("rate", rate, "achieved", sentInWindow / windowSeconds, "clients", clients,
        "samples", latency.getTotalCount(), "busP50Ms", Stats.ms(busLatency, 50), "busP99Ms", Stats.ms(busLatency, 99),
        "busP999Ms", Stats.ms(busLatency, 99.9), "p50Ms", Stats.ms(latency, 50), "p99Ms", Stats.ms(latency, 99),
        "p999Ms", Stats.ms(latency, 99.9), "maxMs", Stats.maxMs(latency),
        "batchesPerSecond", batchesInWindow / (double) clients / windowSeconds,
        "missing", Math.max(0, expected - recorded.get()), "resyncs", resyncs.get() - resyncsBefore,
        "windowSeconds", windowSeconds, "stride", stride);
    } finally {
      if (load != null) {
        try {
          Parts.await(load.close(), Duration.ofSeconds(60));
        } catch (Exception e) {
          // closing anyway
        }
      }
      Parts.close(clientSide);
      Parts.close(server);
      Parts.close(upstream);
    }
  }
}
