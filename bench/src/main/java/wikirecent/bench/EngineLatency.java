package wikirecent.bench;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import wikirecent.bus.Addresses;
import wikirecent.config.Config;
import wikirecent.records.RecordFormat;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.Views;
import wikirecent.engine.EngineVerticle;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The live path end to end in one JVM: append one record to the file (as ingest does), publish the
 * append hint, and time until the counter's batch arrives on the event bus; at about the live rate
 * (40 appends/s). Then the same without hints, where the poll finds the append.
 */
final class EngineLatency {

  private EngineLatency() {
  }

  static void measure(int appends, List<String> sample) throws IOException {
    Path dir = Files.createTempDirectory("wikirecent-latency");
    try {
      report("with the append hint", run(dir.resolve("hinted"), appends, sample, true, 60_000));
      report("poll only (engine.pollMillis 250)", run(dir.resolve("polled"), Math.max(1, appends / 10), sample, false, 250));
    } catch (Exception e) {
      throw new IOException("latency measurement failed: " + e, e);
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static List<Double> run(Path dataDir, int appends, List<String> sample, boolean hint, long pollMillis) throws Exception {
    Files.createDirectories(dataDir);
    Vertx vertx = Vertx.vertx();
    try {
      LinkedBlockingQueue<Long> arrivals = new LinkedBlockingQueue<>();
      vertx.eventBus().<JsonObject>consumer(Addresses.view(Views.COUNTER.viewName()), m -> arrivals.add(System.nanoTime()))
        .completion().await(10, TimeUnit.SECONDS);
      JsonObject config = Config.load(new JsonObject().put(Config.DATA_DIR, dataDir.toString())
        .put(Config.ENGINE_POLL_MILLIS, pollMillis), Map.of());
      vertx.deployVerticle(new EngineVerticle(), new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)
        .setConfig(config)).await(60, TimeUnit.SECONDS);
      if (arrivals.poll(30, TimeUnit.SECONDS) == null) {
        throw new IllegalStateException("no snapshot from the engine");
      }
      List<Double> millis = new ArrayList<>();
      java.util.Random random = new java.util.Random(1);
      Path file = dataDir.resolve(Config.FILE_NAME);
      try (FileOutputStream out = new FileOutputStream(file.toFile(), true)) {
        for (int i = 0; i < appends; i++) {
          byte[] record = RecordFormat.record("[{\"offset\":" + i + "}]", sample.get(i % sample.size()));
          long t0 = System.nanoTime();
          out.write(record);
          if (hint) {
            vertx.eventBus().publish(Addresses.FILE_APPENDED, Files.size(file));
          }
          Long arrived = arrivals.poll(30, TimeUnit.SECONDS);
          if (arrived == null) {
            throw new IllegalStateException("no batch for append " + i);
          }
          millis.add((arrived - t0) / 1e6);
          // ~40/s; without hints, at random moments relative to the poll
          Thread.sleep(hint ? 25 : 25 + random.nextInt((int) pollMillis));
        }
      }
      return millis;
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  /** Median as {@link Stats#median}, percentiles nearest-rank ({@link Stats#percentile}), as every other scenario prints them. */
  private static void report(String what, List<Double> millis) {
    System.out.printf("append -> counter batch on the event bus, %s: %d appends, median %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms%n",
      what, millis.size(), Stats.median(millis), Stats.percentile(millis, 90), Stats.percentile(millis, 99), Stats.max(millis));
  }
}
