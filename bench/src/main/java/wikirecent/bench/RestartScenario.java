package wikirecent.bench;

import wikirecent.testsupport.Child;
import io.vertx.core.json.JsonObject;
import wikirecent.config.Config;
import wikirecent.engine.EngineVerticle;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * 5. Restart. The real jar with roles {@code views,web} over a {@code recentchanges} file of a given
 * size: the time from starting the process to the first HTTP 200 on {@code /api/views/counter}
 * (the web part answers 503 until the engine has caught up and published its snapshot), without
 * the engine checkpoint (the whole file is read) and with it (only what came after is read).
 */
final class RestartScenario {

  private static final Pattern CAUGHT_UP = Pattern.compile("caught up in (\\d+) ms");

  private RestartScenario() {
  }

  static Report.Table run(BenchOptions o, Path tmp) throws Exception {
    Report.Table t = new Report.Table("restart",
      "5. Restart: process start -> first HTTP 200 on /api/views/counter (a child JVM of the app, roles views,web)")
      .column("file", "file", "%s")
      .column("events", "events", "%,d")
      .column("checkpoint", "checkpoint", "%s")
      .column("medianMs", "start->200 ms (median)", "%,.0f")
      .column("minMs", "min", "%,.0f")
      .column("maxMs", "max", "%,.0f")
      .column("catchUpMs", "engine catch-up ms", "%,.0f")
      .column("checkpointBytes", "checkpoint bytes", "%,d");
    Path data = Files.createDirectories(tmp.resolve("data"));
    Path checkpoint = data.resolve(EngineVerticle.CHECKPOINT_FILE);
    Path file = data.resolve(Config.FILE_NAME);

    // The floor: an empty data dir (JVM, Vert.x, the two parts, nothing to read).
    measureRows(t, "empty", 0, data, checkpoint, o.runs, false);
    for (long size : o.restartSizes) {
      long events = new LargeFileGenerator(200_000, 3).writeBytes(file, size, LargeFileGenerator.sampleLines(null));
      measureRows(t, String.format("%,d MB", Files.size(file) >> 20), events, data, checkpoint, o.runs, true);
      Files.deleteIfExists(file);
      Files.deleteIfExists(checkpoint);
    }
    t.note("runs per case: " + o.runs + " (median, min, max); each run: start the process, poll GET /api/views/counter every 5 ms"
      + " until 200, check its count equals the file's events, stop it (SIGTERM: the engine writes its checkpoint on stop)");
    t.note("without: the checkpoint deleted before the start, so the engine reads the whole file (and writes a checkpoint as it"
      + " goes live, inside the timed span); with: the checkpoint the run before left, so it reads nothing new");
    t.note("files: synthetic events (the bundled sample with 200,000 user names, ~1 KB each); written just before, so they are in"
      + " the page cache (a cold-cache start after a reboot reads from disk first); engine catch-up ms is from the engine's log");
    return t;
  }

  private static void measureRows(Report.Table t, String label, long events, Path data, Path checkpoint, int runs,
                                  boolean withCheckpoint) throws Exception {
    List<Double> cold = new ArrayList<>();
    List<Double> coldCatchUp = new ArrayList<>();
    List<Double> warm = new ArrayList<>();
    List<Double> warmCatchUp = new ArrayList<>();
    long checkpointBytes = -1;
    for (int r = 0; r < runs; r++) {
      Files.deleteIfExists(checkpoint);
      double[] c = once(data, events);
      cold.add(c[0]);
      coldCatchUp.add(c[1]);
      if (withCheckpoint) {
        checkpointBytes = Files.exists(checkpoint) ? Files.size(checkpoint) : -1;
        double[] w = once(data, events);
        warm.add(w[0]);
        warmCatchUp.add(w[1]);
      }
    }
    t.row("file", label, "events", events, "checkpoint", withCheckpoint ? "without" : "-", "medianMs", Stats.median(cold),
      "minMs", Stats.min(cold), "maxMs", Stats.max(cold), "catchUpMs", Stats.median(coldCatchUp), "runsMs", cold);
    if (withCheckpoint) {
      t.row("file", label, "events", events, "checkpoint", "with", "medianMs", Stats.median(warm), "minMs", Stats.min(warm),
        "maxMs", Stats.max(warm), "catchUpMs", Stats.median(warmCatchUp), "checkpointBytes", checkpointBytes, "runsMs", warm);
    }
  }

  /** One start: {milliseconds to the first 200, the engine's catch-up ms from its log (NaN if absent)}. */
  private static double[] once(Path data, long events) throws Exception {
    int port = Parts.freePort();
    Map<String, String> env = Map.of(
      "WIKIRECENT_HTTP_PORT", String.valueOf(port),
      "WIKIRECENT_DATA_DIR", data.toString(),
      "WIKIRECENT_ROLES", "views,web");
    String url = "http://127.0.0.1:" + port + "/api/views/counter";
    Path log = data.resolveSibling("server-" + port + ".log");
    long t0 = System.nanoTime();
    try (Child server = Child.start("server", Parts.appCommand(), env, log, false)) {
      long deadline = t0 + Duration.ofMinutes(5).toNanos();
      String body;
      while ((body = Parts.httpBody(url)) == null) {
        if (System.nanoTime() > deadline || !server.alive()) {
          throw new IllegalStateException(url + " did not answer 200; server log ends:\n" + server.logTail(30));
        }
        Thread.sleep(5);
      }
      double ms = (System.nanoTime() - t0) / 1e6;
      long count = Parts.count(new JsonObject(body));
      if (count != events) {
        throw new IllegalStateException("the first snapshot says " + count + " events, the file holds " + events);
      }
      server.stop(Duration.ofSeconds(60));
      Matcher m = CAUGHT_UP.matcher(Files.readString(log));
      double catchUp = m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
      return new double[] {ms, catchUp};
    } finally {
      Files.deleteIfExists(log);
    }
  }
}
