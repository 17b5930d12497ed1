package wikirecent.ingest;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import wikirecent.bench.LargeFileGenerator;
import wikirecent.bus.Addresses;
import wikirecent.bus.Views;
import wikirecent.config.Config;
import wikirecent.engine.EngineVerticle;
import wikirecent.replay.ReplayOptions;
import wikirecent.replay.ReplayServer;
import wikirecent.testsupport.Dirs;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Where the throughput scenario's CPU goes: the same pipeline (replay at rate 0 -> ingest -> file -> engine, one
 * JVM), with each thread's CPU time per event over a run, user and system, grouped by part: the replay server's
 * event loop (its threads exist before the run), ingest's event loop and writer thread, the engine's worker.
 * Prints numbers, asserts nothing.
 * <pre>
 * java -cp bench/target/wikirecent-bench.jar:bench/target/test-classes wikirecent.ingest.PipelineCpuBench [events] [runs]
 * </pre>
 */
public final class PipelineCpuBench {

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 300_000;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    Path dir = Files.createTempDirectory("pipeline-cpu");
    Path source = dir.resolve("source.recentchanges");
    new LargeFileGenerator(200_000, 1).write(source, events, LargeFileGenerator.sampleLines(null));
    Vertx upstream = Vertx.vertx();
    try {
      ReplayServer replay = await(ReplayServer.start(upstream, new ReplayOptions().port(0).file(source).heartbeatSeconds(0)));
      ReplayServer warm = await(ReplayServer.start(upstream, new ReplayOptions().port(0).loop(true).heartbeatSeconds(0)));
      run(warm.url(), dir, 50_000, false);
      await(warm.close());
      for (int r = 0; r < runs; r++) {
        run(replay.url(), dir, replay.eventCount(), true);
      }
    } finally {
      await(upstream.close());
      Dirs.deleteTree(dir);
    }
  }

  private static void run(String url, Path parent, long events, boolean print) throws Exception {
    Map<Long, String> before = new HashMap<>();
    Map<Long, long[]> cpu0 = snapshot(before);
    Path data = Files.createTempDirectory(parent, "run");
    Vertx vertx = Vertx.vertx();
    try {
      JsonObject config = Config.load(new JsonObject().put(Config.DATA_DIR, data.toString()).put(Config.HTTP_PORT, 0)
        .put(Config.STREAM_URL, url), Map.of());
      Promise<Void> live = Promise.promise();
      Promise<Long> reached = Promise.promise();
      vertx.eventBus().<JsonObject>consumer(Addresses.view(Views.COUNTER.viewName()), m -> {
        live.tryComplete();
        JsonArray inserted = m.body().getJsonArray("inserted");
        if (inserted != null && !inserted.isEmpty() && inserted.getJsonArray(0).getLong(0) >= events) {
          reached.tryComplete(System.nanoTime());
        }
      });
      await(vertx.deployVerticle(new EngineVerticle(), new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER).setConfig(config)));
      await(live.future());
      Map<Long, long[]> start = snapshot(new HashMap<>());
      long t0 = System.nanoTime();
      await(vertx.deployVerticle(new IngestVerticle(), new DeploymentOptions().setConfig(config)));
      long t1 = await(reached.future());
      Map<Long, String> names = new HashMap<>();
      Map<Long, long[]> end = snapshot(names);
      if (print) {
        report(events, (t1 - t0) / 1e9, before.keySet(), start, end, names);
      }
    } finally {
      await(vertx.close());
      Dirs.deleteTree(data);
    }
  }

  private static void report(long events, double seconds, java.util.Set<Long> preexisting, Map<Long, long[]> start,
                             Map<Long, long[]> end, Map<Long, String> names) {
    Map<String, long[]> parts = new TreeMap<>();
    for (Map.Entry<Long, long[]> e : end.entrySet()) {
      long[] s = start.getOrDefault(e.getKey(), new long[2]);
      long total = e.getValue()[0] - s[0];
      long user = e.getValue()[1] - s[1];
      if (total <= 0) {
        continue;
      }
      String name = names.get(e.getKey());
      boolean old = preexisting.contains(e.getKey());
      String part;
      if (name.startsWith("vert.x-eventloop")) {
        part = old ? "replay event loop" : "ingest event loop";
      } else if (name.startsWith("vert.x-worker")) {
        part = old ? "other (old worker)" : "engine worker";
      } else if (name.startsWith("wikirecent-ingest-writer")) {
        part = "ingest writer";
      } else if (name.contains("Compiler")) {
        part = "JIT";
      } else {
        part = "other";
      }
      long[] p = parts.computeIfAbsent(part, k -> new long[2]);
      p[0] += total;
      p[1] += user;
    }
    StringBuilder sb = new StringBuilder(String.format("%,d events in %.2f s: %,.0f ev/s; CPU per event (user + sys):", events, seconds,
      events / seconds));
    long all = 0;
    for (Map.Entry<String, long[]> p : parts.entrySet()) {
      long total = p.getValue()[0];
      long user = p.getValue()[1];
      all += total;
      sb.append(String.format("%n  %-20s %6.2f us (%5.2f + %5.2f)", p.getKey(), total / 1e3 / events, user / 1e3 / events,
        (total - user) / 1e3 / events));
    }
    sb.append(String.format("%n  %-20s %6.2f us; %.2f cores busy", "all", all / 1e3 / events, all / 1e9 / seconds));
    System.out.println(sb);
  }

  /** Per live thread: {total, user} CPU nanoseconds; fills {@code names}. */
  private static Map<Long, long[]> snapshot(Map<Long, String> names) {
    Map<Long, long[]> out = new HashMap<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      long total = THREADS.getThreadCpuTime(t.getId());
      long user = THREADS.getThreadUserTime(t.getId());
      if (total >= 0) {
        out.put(t.getId(), new long[] {total, user});
        names.put(t.getId(), t.getName());
      }
    }
    return out;
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.MINUTES);
  }
}
