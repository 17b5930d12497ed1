package wikirecent.bench;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import wikirecent.bus.ViewParams;
import wikirecent.bus.ViewParams.View;
import wikirecent.bus.ViewParams.Window;
import wikirecent.replay.ReplayOptions;
import wikirecent.replay.ReplayServer;
import wikirecent.testsupport.Child;
import wikirecent.testsupport.Dirs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * 6. Shaped views. Per rate, a fresh app process (roles {@code ingest,views,web}) takes a history of
 * {@link ShapedFeed} events from the replay server (in this process) and is weighed with only the default
 * views; then N distinct parameter sets are opened (one REST GET each) and it is weighed again at the same
 * file position: heap per live instance. A client process ({@code bench shaped-client}) connects M WebSocket
 * clients spread evenly over the sets, the feed goes on at the rate, and the clients report delivery latency,
 * while this process reads the app's /metrics for what went through ingest and the engine. When the feed
 * has ended, one client per set compares the rows it built from its snapshot and diffs with the REST snapshot.
 */
final class ShapedScenario {

  private static final int WARMUP_SECONDS = 3;
  /** Events the feed holds past the measured window, so it does not run dry before the window ends. */
  private static final int SPARE_SECONDS = 5;
  /** The wikis the sets name: the feed's most edited ones. */
  static final List<String> KEY_WIKIS = ShapedFeed.WIKIS.subList(0, 6);
  private static final List<View> VIEWS = List.of(View.COUNTER, View.TOP10, View.TOP_WIKIS, View.EDITS_PER_MINUTE);

  private ShapedScenario() {
  }

  /** Every non-default set of the shaped views over {@link #KEY_WIKIS}, per view (counter, top10, top_wikis, edits_per_minute). */
  static List<List<ViewParams>> allSets() {
    List<String> wikis = new ArrayList<>();
    wikis.add(null);
    wikis.addAll(KEY_WIKIS);
    List<List<ViewParams>> out = new ArrayList<>();
    for (View v : VIEWS) {
      List<ViewParams> sets = new ArrayList<>();
      for (String wiki : wikis) {
        if (v == View.EDITS_PER_MINUTE) {
          sets.add(ViewParams.of(v).withWiki(wiki));
          continue;
        }
        for (Boolean bot : Arrays.asList(null, Boolean.TRUE, Boolean.FALSE)) {
          for (Window w : Window.values()) {
            sets.add(new ViewParams(v, wiki, bot, w));
          }
        }
      }
      sets.removeIf(ViewParams::isDefault);
      out.add(sets);
    }
    return out;
  }

  static int maxSets() {
    return allSets().stream().mapToInt(List::size).sum();
  }

  /**
   * {@code n} distinct canonical keys: the views taken in turn, and within a view its sets in a fixed shuffled
   * order, so every view, wiki, bot choice and window shows up. The same n keys on every run.
   */
  static List<String> keys(int n) {
    List<List<ViewParams>> perView = allSets();
    for (int v = 0; v < perView.size(); v++) {
      Collections.shuffle(perView.get(v), new Random(7 + v));
    }
    if (n > maxSets()) {
      throw new IllegalArgumentException("at most " + maxSets() + " distinct sets, not " + n);
    }
    List<String> keys = new ArrayList<>();
    for (int round = 0; keys.size() < n; round++) {
      for (List<ViewParams> sets : perView) {
        if (round < sets.size() && keys.size() < n) {
          keys.add(sets.get(round).toString());
        }
      }
    }
    return keys;
  }

  static Report.Table run(BenchOptions o, Path tmp) throws Exception {
    Report.Table t = new Report.Table("shaped",
      "6. Shaped views: N live parameter sets and M WebSocket clients spread over them (app and clients in separate JVMs)")
      .column("rate", "target ev/s", "%,d")
      .column("sets", "sets", "%,d")
      .column("clients", "clients", "%,d")
      .column("ingestPerSecond", "ingest ev/s", "%,.0f")
      .column("enginePerSecond", "engine ev/s", "%,.0f")
      .column("publishedPerSecond", "published msg/s", "%,.0f")
      .column("framesPerSecond", "frames/s", "%,.0f")
      .column("appCpuPercent", "app CPU %", "%.0f")
      .column("p50Ms", "p50 ms", "%.1f")
      .column("p99Ms", "p99 ms", "%.1f")
      .column("p999Ms", "p99.9 ms", "%.1f")
      .column("heapDefaultMiB", "heap default MiB", "%,.1f")
      .column("heapSetsMiB", "heap +sets MiB", "%,.1f")
      .column("heapPerInstanceKiB", "heap/instance KiB", "%,.1f")
      .column("heapPerClientKiB", "heap/client KiB", "%.1f")
      .column("snapshotFirst", "snapshot first", "%s")
      .column("resyncs", "resyncs", "%,d")
      .column("refused", "refused", "%,d")
      .column("restCheck", "= REST", "%s")
      .column("load", "load avg", "%s");
    boolean jcmd = FanOutScenario.jcmdAvailable();
    List<String> keys = keys(o.shapedSets);
    String loadAtStart = Machine.loadAverage();
    Vertx upstream = Vertx.vertx();
    try {
      for (long rate : o.shapedRates) {
        Path dir = Files.createTempDirectory(tmp, "shaped" + rate);
        try {
          measure(t, upstream, rate, keys, o.shapedClients, o.shapedSeconds, o.shapedHistory, jcmd, dir);
        } finally {
          Dirs.deleteTree(dir);
        }
      }
    } finally {
      Parts.close(upstream);
    }
    Map<View, Integer> perView = new LinkedHashMap<>();
    keys.forEach(k -> perView.merge(ViewParams.parse(k).view(), 1, Integer::sum));
    t.note("feed: the bundled sample's events looped, each with its own meta.id, a wiki drawn from " + ShapedFeed.WIKIS.size()
      + " (Zipf-like shares, wikidatawiki first) and an event time one second per " + ShapedFeed.EVENTS_PER_SECOND
      + " events (the live stream's density), so the 5m windows slide; the sample alone has 2 wikis and only its last 100"
      + " events in any window. Served by the replay server at the target rate");
    t.note("sets: " + keys.size() + " distinct canonical keys (" + perView.entrySet().stream()
      .map(e -> e.getValue() + " " + e.getKey().viewName()).reduce((a, b) -> a + ", " + b).orElse("") + ") over wiki in any/"
      + String.join("/", KEY_WIKIS) + ", bot any/true/false, window all/5m/1h/24h, e.g. " + keys.get(0) + ", "
      + keys.get(Math.min(1, keys.size() - 1)) + "; client i follows /api/stream/<key i mod " + keys.size() + ">");
    t.note("server: a fresh JVM of the whole app per rate; clients: one more JVM (`bench shaped-client`); " + Parts.cpusNote());
    t.note("ingest ev/s, engine ev/s, published msg/s: from the app's /metrics over the clients' window"
      + " (wikirecent_ingest_events_written, wikirecent_views_events_applied, wikirecent_views_batches_published summed over"
      + " every view and set); frames/s: frames the clients received; app CPU %: the app process's CPU time over the same"
      + " window (utime + stime of /proc/<pid>/stat) per second, in % of one core (the clients' process: in the JSON)");
    t.note("latency (" + o.shapedSeconds + " s measured after " + WARMUP_SECONDS + " s of warm-up): client wall clock on receipt"
      + " minus the batch's timestamp, the engine's wall clock in ms when it closed the batch (two processes, one machine, up to"
      + " 1 ms high; not the event time, which is synthetic), for every (batch, client) pair as in the fan-out scenario: a frame"
      + " merging batches delivers each, each from its own timestamp, learnt from the frames of the set's clients where it was"
      + " the newest (a batch newest in none of them is not timed); since round 15, before which each frame was timed by its"
      + " newest batch alone (still in the JSON: newestP50Ms, newestP99Ms)");
    t.note((jcmd ? "heap: used heap after a full GC (one jcmd -f: GC.run, then GC.heap_info)" : "heap: used heap from /metrics WITHOUT a full"
      + " GC (no jcmd), garbage included") + ", after " + o.shapedHistory + " events of history with the feed paused: default"
      + " views only, then with the sets opened by one REST GET each (engine instance + web replica), same file position;"
      + " heap/instance = the difference / sets; heap/client = (with the clients connected - with the sets) / clients");
    t.note("snapshot first: clients whose first message was a snapshot; resyncs: snapshots after the first in the window;"
      + " refused: 4xx/5xx opening a set (REST or WebSocket) plus refusals counted by the app (web.replicas.refused,"
      + " views.requests.refused) plus frames dropped (web.frames.dropped); = REST: sets whose rows, built by one client from its"
      + " snapshot and diffs, equal GET /api/views/<key> once the feed has ended (a sanity check)");
    t.note("load average at the start of the scenario " + loadAtStart + ", at the end " + Machine.loadAverage()
      + "; the load avg column is read at the end of each window");
    return t;
  }

  private static void measure(Report.Table t, Vertx upstream, long rate, List<String> keys, int clients, int seconds,
                              long history, boolean jcmd, Path dir) throws Exception {
    long total = history + rate * (WARMUP_SECONDS + seconds + SPARE_SECONDS);
    Path prefixFile = dir.resolve("history.jsonl");
    Path fullFile = dir.resolve("feed.jsonl");
    ShapedFeed.write(prefixFile, history, fullFile, total);
    int port = Parts.freePort();
    int feedPort = Parts.freePort();
    Path data = Files.createDirectories(dir.resolve("data"));
    Map<String, String> env = Parts.wholeAppEnv(port, data, feedPort);
    String base = "http://127.0.0.1:" + port;
    ReplayServer feed = Parts.await(ReplayServer.start(upstream, new ReplayOptions().file(prefixFile).port(feedPort).rate(0)
      .heartbeatSeconds(0)), Duration.ofMinutes(1));
    try (Child server = Child.start("server", Parts.appCommand(), env, dir.resolve("server.log"), false)) {
      try {
        Parts.awaitHttp200(base + "/api/views/counter", Duration.ofMinutes(2));
        awaitMetric(base, "wikirecent_views_events_applied_total", history, Duration.ofMinutes(2));
      } catch (IllegalStateException e) {
        throw new IOException(e.getMessage() + "; server log ends:\n" + server.logTail(30), e);
      }
      Thread.sleep(1000);
      long heapDefault = heap(server.pid(), base, jcmd);
      int openFailures = 0;
      for (String key : keys) {
        openFailures += open(base, key) ? 0 : 1;
      }
      long instances = FanOutScenario.metric(Parts.httpBody(base + "/metrics"), "wikirecent_views_instances");
      long heapSets = heap(server.pid(), base, jcmd);
      List<String> args = List.of("--port", String.valueOf(port), "--keys", String.join(",", keys), "--clients",
        String.valueOf(clients), "--warmup", String.valueOf(WARMUP_SECONDS), "--seconds", String.valueOf(seconds));
      try (Child client = Child.start("clients", Parts.clientCommand("shaped-client", args), Map.of(), dir.resolve("clients.log"), true)) {
        double connectSeconds = Double.parseDouble(client.awaitLine("CONNECTED", Duration.ofMinutes(10)).split(" ")[1]);
        long heapClients = heap(server.pid(), base, jcmd);
        // The feed goes on from where the history ended: ingest reconnects with the last id it wrote.
        Parts.await(feed.close(), Duration.ofSeconds(30));
        feed = Parts.await(ReplayServer.start(upstream, new ReplayOptions().file(fullFile).port(feedPort).rate(rate)
          .heartbeatSeconds(0)), Duration.ofMinutes(1));
        client.send("start");
        client.awaitLine("WINDOW", Duration.ofSeconds(WARMUP_SECONDS + 60));
        long m0 = System.nanoTime();
        long cpu0 = Machine.processCpuNanos(server.pid());
        long clientCpu0 = Machine.processCpuNanos(client.pid());
        Map<String, Long> threads0 = Machine.threadCpuNanos(server.pid());
        String before = Parts.httpBody(base + "/metrics");
        JsonObject r = new JsonObject(client.awaitLine("RESULT", Duration.ofSeconds(seconds + 120)));
        String after = Parts.httpBody(base + "/metrics");
        long cpu1 = Machine.processCpuNanos(server.pid());
        long clientCpu1 = Machine.processCpuNanos(client.pid());
        Map<String, Long> threads1 = Machine.threadCpuNanos(server.pid());
        double metricsSeconds = (System.nanoTime() - m0) / 1e9;
        String load = Machine.loadAverage();
        // The check runs once every event of the feed is in the views, so nothing moves any more.
        awaitMetric(base, "wikirecent_views_events_applied_total", total, Duration.ofMinutes(2));
        client.send("check");
        JsonObject check = new JsonObject(client.awaitLine("CHECK", Duration.ofMinutes(3)));
        String end = Parts.httpBody(base + "/metrics");
        client.send("quit");
        long refused = openFailures + FanOutScenario.metric(end, "wikirecent_web_replicas_refused_total")
          + FanOutScenario.metric(end, "wikirecent_views_requests_refused_total")
          + FanOutScenario.metric(end, "wikirecent_web_frames_dropped_total");
        int sets = keys.size();
        t.row("rate", rate, "sets", sets, "clients", clients,
          "ingestPerSecond", delta(before, after, "wikirecent_ingest_events_written_total") / metricsSeconds,
          "enginePerSecond", delta(before, after, "wikirecent_views_events_applied_total") / metricsSeconds,
          "publishedPerSecond", delta(before, after, "wikirecent_views_batches_published_total") / metricsSeconds,
          "framesPerSecond", r.getDouble("framesPerSecond"),
          "serverFramesPerSecond", delta(before, after, "wikirecent_web_frames_sent_total") / metricsSeconds,
          "webBatchesPerSecond", delta(before, after, "wikirecent_web_batches_received_total") / metricsSeconds, "appCpuPercent", (cpu1 - cpu0) / 1e7 / metricsSeconds,
          "clientsCpuPercent", (clientCpu1 - clientCpu0) / 1e7 / metricsSeconds,
          "appThreadsCpuPercent", busiest(threads0, threads1, metricsSeconds),
          "p50Ms", r.getDouble("p50Ms"), "p99Ms", r.getDouble("p99Ms"), "p999Ms", r.getDouble("p999Ms"), "maxMs", r.getDouble("maxMs"),
          "worstMsPerSecond", r.getJsonArray("worstMsPerSecond").getList(), "samples", r.getLong("samples"),
          "framesTimed", r.getLong("framesTimed"), "newestP50Ms", r.getDouble("newestP50Ms"), "newestP99Ms", r.getDouble("newestP99Ms"),
          "heapDefaultMiB", heapDefault / 1048576.0, "heapSetsMiB", heapSets / 1048576.0,
          "heapPerInstanceKiB", (heapSets - heapDefault) / 1024.0 / sets, "heapClientsMiB", heapClients / 1048576.0,
          "heapPerClientKiB", (heapClients - heapSets) / 1024.0 / clients, "liveInstances", instances,
          "snapshotFirst", r.getInteger("snapshotFirst") + "/" + clients, "noMessage", r.getInteger("noMessage"),
          "resyncs", r.getLong("resyncsInWindow"), "resyncsTotal", check.getLong("resyncsTotal"),
          "closedInWindow", r.getLong("closedInWindow"), "refused", refused, "openFailures", openFailures,
          "restCheck", check.getInteger("equal") + "/" + sets, "restRowsCompared", check.getLong("rowsCompared"),
          "badDeletes", check.getLong("badDeletes"), "mismatched", check.getJsonArray("mismatched").encode(),
          "diffsPerClientMin", r.getLong("diffsPerClientMin"), "diffsPerClientMedian", r.getDouble("diffsPerClientMedian"),
          "diffsPerClientMax", r.getLong("diffsPerClientMax"), "connectSeconds", connectSeconds,
          "windowSeconds", r.getDouble("windowSeconds"), "bytesPerSecond", r.getDouble("bytesPerSecond"),
          "divergences", FanOutScenario.metric(end, "wikirecent_web_divergences_total"),
          "history", history, "feedEvents", total, "load", load);
      }
    } finally {
      try {
        Parts.await(feed.close(), Duration.ofSeconds(30));
      } catch (Exception e) {
        // closed already
      }
    }
  }

  /** GET /api/views/<key> until it answers 200 (a 503 while the set opens is retried); false if it never does. */
  private static boolean open(String base, String key) throws InterruptedException {
    for (int attempt = 0; attempt < 50; attempt++) {
      int status = Parts.httpStatus(base + "/api/views/" + key);
      if (status == 200) {
        return true;
      }
      if (status != 503 && status != -1) {
        System.err.println("bench shaped: GET /api/views/" + key + " answered " + status);
        return false;
      }
      Thread.sleep(100);
    }
    return false;
  }

  static long heap(long pid, String base, boolean jcmd) throws Exception {
    FanOutScenario.heap(pid, base, jcmd); // the first full GC also clears what the one before left to finalise
    return FanOutScenario.heap(pid, base, jcmd);
  }

  /** The app's five busiest thread names over the window, with their CPU in % of one core. */
  private static JsonObject busiest(Map<String, Long> before, Map<String, Long> after, double seconds) {
    JsonObject out = new JsonObject();
    after.entrySet().stream()
      .map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
      .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(5)
      .forEach(e -> out.put(e.getKey(), Math.round(e.getValue() / 1e7 / seconds * 10) / 10.0));
    return out;
  }

  /** What a counter did between two scrapes; NaN if either did not answer (not a total read as a rate). */
  private static double delta(String before, String after, String metric) {
    long a = FanOutScenario.metric(after, metric);
    long b = FanOutScenario.metric(before, metric);
    return a < 0 || b < 0 ? Double.NaN : a - b;
  }

  private static void awaitMetric(String base, String metric, long atLeast, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long seen = -1;
    while (System.nanoTime() < deadline) {
      seen = FanOutScenario.metric(Parts.httpBody(base + "/metrics"), metric);
      if (seen >= atLeast) {
        return;
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException(metric + " reached " + seen + ", not " + atLeast + ", within " + timeout.toSeconds() + " s");
  }
}
