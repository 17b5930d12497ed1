package wikirecent.bench;

import wikirecent.testsupport.Dirs;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import wikirecent.bus.Addresses;
import wikirecent.config.Config;
import wikirecent.bus.Views;
import wikirecent.replay.ReplayOptions;
import wikirecent.replay.ReplayServer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * 1. Throughput. The replay server serves a synthetic file as fast as the client reads (rate 0);
 * ingest writes it to a fresh {@code recentchanges}; the engine (live: a batch per step) follows
 * it. Timed from deploying ingest until the engine's counter reaches the file's event count. Next
 * to it, in the same run, the ceiling: read the same file and Jackson-parse each event, nothing
 * else ({@link EngineBench#bareParse}). All in this JVM, on loopback.
 */
final class ThroughputScenario {

  private ThroughputScenario() {
  }

  static Report.Table run(BenchOptions o, Path tmp) throws Exception {
    Report.Table t = new Report.Table("throughput",
      "1. Throughput: replay (rate 0) -> ingest -> file -> engine, against the ceiling (read + Jackson-parse the same file)")
      .column("run", "run", "%s")
      .column("events", "events", "%,d")
      .column("pipelineEventsPerSecond", "pipeline ev/s", "%,.0f")
      .column("pipelineMBps", "pipeline MB/s", "%,.1f")
      .column("ceilingEventsPerSecond", "ceiling ev/s", "%,.0f")
      .column("ratio", "pipeline/ceiling", "%.2f");
    Path dir = Files.createDirectories(tmp.resolve("throughput"));
    Path source = dir.resolve("source.recentchanges");
    long g0 = System.nanoTime();
    new LargeFileGenerator(200_000, 1).write(source, o.throughputEvents, LargeFileGenerator.sampleLines(null));
    double genSeconds = (System.nanoTime() - g0) / 1e9;
    long sourceBytes = Files.size(source);

    Vertx upstream = Vertx.vertx();
    try {
      ReplayServer replay = Parts.await(ReplayServer.start(upstream,
        new ReplayOptions().port(0).file(source).heartbeatSeconds(0)), Duration.ofMinutes(5));
      long events = replay.eventCount();
      System.gc(); // the replay server holds the whole file (~1 KB per event): into the old generation now, not mid-run
      // Warm-up (untimed): the sample, looped, then the file itself, through the same path, so the JIT has compiled
      // what the runs use with the runs' data (200k users, not the sample's few hundred).
      ReplayServer warm = Parts.await(ReplayServer.start(upstream,
        new ReplayOptions().port(0).loop(true).heartbeatSeconds(0)), Duration.ofMinutes(1));
      pipeline(warm.url(), Files.createTempDirectory(dir, "warmup"), Math.min(events, 50_000));
      Parts.await(warm.close(), Duration.ofSeconds(30));
      pipeline(replay.url(), Files.createTempDirectory(dir, "warmup"), events);
      EngineBench.bareParse(source, 1 << 20); // and the ceiling's loop

      List<Double> pipe = new ArrayList<>();
      List<Double> ceiling = new ArrayList<>();
      List<Double> ratios = new ArrayList<>();
      List<Double> mbps = new ArrayList<>();
      for (int r = 1; r <= o.runs; r++) {
        System.gc(); // each timed pass starts from a collected heap
        double seconds = pipeline(replay.url(), Files.createTempDirectory(dir, "run"), events);
        System.gc();
        EngineBench.Result bare = EngineBench.bareParse(source, 1 << 20);
        double p = events / seconds;
        double c = bare.perSecond();
        pipe.add(p);
        ceiling.add(c);
        ratios.add(p / c);
        mbps.add(sourceBytes / seconds / 1e6);
        t.row("run", String.valueOf(r), "events", events, "pipelineEventsPerSecond", p, "pipelineMBps", sourceBytes / seconds / 1e6,
          "ceilingEventsPerSecond", c, "ratio", p / c, "pipelineSeconds", seconds);
      }
      t.row("run", "median", "events", events, "pipelineEventsPerSecond", Stats.median(pipe), "pipelineMBps", Stats.median(mbps),
        "ceilingEventsPerSecond", Stats.median(ceiling), "ratio", Stats.median(ratios));
      t.note(String.format("synthetic file: %,d events, %,d bytes (%.0f bytes/event), 200,000 user names (5 bots take 19%%, Zipf 1.1 tail),"
        + " each with its own meta.id; generated in %.1f s", events, sourceBytes, sourceBytes / (double) events, genSeconds));
      t.note("pipeline: replay server, ingest (HTTP client, SSE parse, JSON check, append, fsync every 1 s) and engine (worker verticle,"
        + " a step of at most 1 MB per append hint, each publishing a batch) on 2 Vert.x instances in one JVM; timed from deploying ingest to the engine's"
        + " counter batch reaching the event count");
      t.note("ceiling: one thread reads the same file in 1 MB chunks and Jackson-parses every data: line to its end, nothing else;"
        + " ratio = pipeline/ceiling within a run, the median row is the median of each column (ratio: of the per-run ratios)");
      t.note("untimed warm-ups before the runs: the pipeline over the bundled sample (looped), then over the file, and one"
        + " ceiling pass; a full GC after the replay server loaded the file (it holds it, ~1 KB per event, in this JVM only"
        + " because the benchmark hosts it) and before each timed pass");
    } finally {
      Parts.close(upstream);
    }
    return t;
  }

  /** Seconds from deploying ingest until the engine's counter reaches {@code events}. */
  private static double pipeline(String url, Path dataDir, long events) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      JsonObject config = Parts.config(dataDir, new JsonObject().put(Config.STREAM_URL, url));
      Promise<Void> live = Promise.promise();
      Promise<Long> reached = Promise.promise();
      vertx.eventBus().<JsonObject>consumer(Addresses.view(Views.COUNTER.viewName()), m -> {
        live.tryComplete();
        if (Parts.count(m.body()) >= events) {
          reached.tryComplete(System.nanoTime());
        }
      });
      Parts.deployEngine(vertx, config);
      Parts.await(live.future(), Duration.ofMinutes(1));
      long t0 = System.nanoTime();
      Parts.deployIngest(vertx, config);
      long t1 = Parts.await(reached.future(), Duration.ofMinutes(10));
      return (t1 - t0) / 1e9;
    } finally {
      Parts.close(vertx);
      Dirs.deleteTree(dataDir);
    }
  }
}
