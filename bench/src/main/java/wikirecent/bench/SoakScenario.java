package wikirecent.bench;

import io.vertx.core.Vertx;
import wikirecent.bus.ViewParams;
import wikirecent.replay.ReplayOptions;
import wikirecent.replay.ReplayServer;
import wikirecent.bus.Addresses;
import wikirecent.testsupport.Child;
import wikirecent.testsupport.Churn;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * 8. Soak (not in {@code all}). The whole app in a child JVM follows a looping replay feed that cuts the
 * connection every few thousand events, while {@link Churn} keeps a few hundred sessions of every kind
 * opening and ending for minutes. Every sample: the app's heap after a full GC, RSS, open files, threads, and
 * what its /metrics says is open. Then the churn stops and, once the idle timeouts have passed, a last sample:
 * what a node holds for sessions that are gone. A leak shows as a heap, file or thread count that climbs with
 * the sessions served instead of levelling off, or a quiet node that does not come back to where it began.
 */
final class SoakScenario {

  static final List<String> DEFAULT_KEYS = List.of("counter", "top10", "user_edits", "top_wikis", "edits_per_minute", "wiki_edits");
  private static final int SHAPED_KEYS = 40;
  /**
   * Event time per event: a day of event time every two minutes at the default rate, so the windows (up to 24 h) are
   * full early and hold the same number of events from then on; what grows after that is not the views' state.
   */
  private static final long SECONDS = 18;
  private static final long PER_EVENTS = 5;
  private static final int CUT_EVERY = 5_000;
  /** Short idle times, so sets and replicas come and go many times over a soak, and the quiet sample comes soon. */
  private static final int INSTANCE_IDLE_SECONDS = 5;
  private static final int REPLICA_LINGER_SECONDS = 2;
  private static final int KEEP_ALIVE_MILLIS = 1_000;
  private static final int STUCK_CLIENT_MILLIS = 3_000;

  private SoakScenario() {
  }

  static Report.Table run(BenchOptions o, Path dir) throws Exception {
    Report.Table t = new Report.Table("soak", "8. Soak: " + o.soakSessions + " sessions at all times opening and ending for "
      + String.format("%.1f", o.soakSeconds / 60.0) + " min against the whole app (a child JVM) following a looping, cut feed")
      .column("at", "at", "%s")
      .column("minutes", "min", "%.1f")
      .column("sessions", "sessions ended", "%,d")
      .column("failed", "not as expected", "%,d")
      .column("events", "events applied", "%,d")
      .column("window", "window events", "%,d")
      .column("users", "users", "%,d")
      .column("heapMiB", "heap MiB", "%.1f")
      .column("rssMiB", "RSS MiB", "%,.0f")
      .column("files", "open files", "%,d")
      .column("threads", "threads", "%,d")
      .column("connections", "connections", "%,d")
      .column("clients", "clients", "%,d")
      .column("replicas", "replicas", "%,d")
      .column("instances", "instances", "%,d")
      .column("reconnects", "ingest connections", "%,d");
    boolean jcmd = FanOutScenario.jcmdAvailable();
    String loadAtStart = Machine.loadAverage();
    Path feedFile = dir.resolve("feed.jsonl");
    // Enough events that the feed does not loop within the soak: looping repeats event times the windows already hold.
    long feedEvents = (long) Math.ceil(o.soakRate * (o.soakSeconds + 120));
    ShapedFeed.write(dir.resolve("unused.jsonl"), 0, feedFile, feedEvents, SECONDS, PER_EVENTS);
    int port = Parts.freePort();
    int feedPort = Parts.freePort();
    Path data = Files.createDirectories(dir.resolve("data"));
    Map<String, String> env = new HashMap<>(Parts.wholeAppEnv(port, data, feedPort));
    env.put("WIKIRECENT_VIEWS_INSTANCE_IDLE_SECONDS", String.valueOf(INSTANCE_IDLE_SECONDS));
    env.put("WIKIRECENT_VIEWS_KEEP_ALIVE_MILLIS", String.valueOf(KEEP_ALIVE_MILLIS));
    env.put("WIKIRECENT_WEB_REPLICA_LINGER_SECONDS", String.valueOf(REPLICA_LINGER_SECONDS));
    env.put("WIKIRECENT_WEB_STUCK_CLIENT_MILLIS", String.valueOf(STUCK_CLIENT_MILLIS));
    String base = "http://127.0.0.1:" + port;
    Vertx upstream = Vertx.vertx();
    Vertx load = Vertx.vertx();
    try {
      ReplayServer feed = Parts.await(ReplayServer.start(upstream, new ReplayOptions().file(feedFile).port(feedPort)
        .rate(o.soakRate).loop(true).cutEvery(CUT_EVERY)), Duration.ofMinutes(1));
      try (Child server = Child.start("server", Parts.appCommand(), env, dir.resolve("server.log"), false)) {
        Parts.awaitApp(server, base, Duration.ofMinutes(2));
        Thread.sleep(3_000);
        long t0 = System.nanoTime();
        sample(t, "start", t0, server.pid(), base, jcmd, null);
        Churn churn = new Churn(load, port, keys(o.soakSeed), o.soakSessions, o.soakSeed,
          Churn.pageFollow(Addresses::view, Addresses::snapshot));
        Parts.await(churn.start(), Duration.ofMinutes(1));
        long end = t0 + Duration.ofSeconds(o.soakSeconds).toNanos();
        long every = Duration.ofSeconds(o.soakSampleSeconds).toNanos();
        for (long next = t0 + every; next <= end; next += every) {
          Thread.sleep(Math.max(0, (next - System.nanoTime()) / 1_000_000));
          sample(t, "churn", t0, server.pid(), base, jcmd, churn);
        }
        Parts.await(churn.stop(), Duration.ofMinutes(2));
        long stopped = System.nanoTime();
        // Past every idle timeout: sets dropped, replicas released, keep-alives told.
        Thread.sleep(Math.max(INSTANCE_IDLE_SECONDS * 1000L, REPLICA_LINGER_SECONDS * 1000L) + 3L * KEEP_ALIVE_MILLIS + 5_000);
        sample(t, "quiet", t0, server.pid(), base, jcmd, churn);
        t.note("sessions ended by kind and result: " + churn.outcomes());
        t.note("churn stopped " + String.format("%.1f", (System.nanoTime() - stopped) / 1e9) + " s before the quiet sample; heap growth"
          + " over the churn's second half, least squares: " + String.format("%.2f", slope(t.rows, o.soakSeconds / 120.0))
          + " MiB/min");
        Parts.await(churn.close(), Duration.ofSeconds(30));
      } finally {
        Parts.await(feed.close(), Duration.ofSeconds(30));
      }
    } finally {
      Parts.close(load);
      Parts.close(upstream);
    }
    t.note("kinds, in twentieths: 7 /api/stream/<key> WebSockets closed cleanly after their first message and a hold, 5 SockJS"
      + " sessions (WebSocket transport) registering on a key and asking its snapshot as the page does, 3 WebSockets opened by"
      + " hand and cut with a TCP reset (no close frame) after their first frame, 1 opened by hand that stops reading at once and is"
      + " cut after its hold, 3 GET /api/views/<key> (429/503 count as refused, as expected), 1 GET of / or /app.js; holds 0.2-4 s;"
      + " keys: " + DEFAULT_KEYS.size() + " default views and " + SHAPED_KEYS + " parameter sets");
    t.note("app: every part, views.instanceIdleSeconds=" + INSTANCE_IDLE_SECONDS + ", web.replicaLingerSeconds=" + REPLICA_LINGER_SECONDS
      + ", views.keepAliveMillis=" + KEEP_ALIVE_MILLIS + ", web.stuckClientMillis=" + STUCK_CLIENT_MILLIS + " (so sets and replicas come"
      + " and go many times); feed: the shaped scenario's events at " + o.soakRate + " events/s, event time " + (double) SECONDS / PER_EVENTS
      + " s apart (so the 24 h window is full after " + String.format("%.1f", 86_400.0 * PER_EVENTS / SECONDS / o.soakRate / 60) + " min and holds as many"
      + " events from then on),"
      + " the connection cut every " + CUT_EVERY + " events (ingest resumes with Last-Event-ID)");
    t.note((jcmd ? "heap: used heap after two full GCs (jcmd GC.run, GC.heap_info)" : "heap: used heap from /metrics WITHOUT a full GC")
      + "; open files: entries of /proc/<pid>/fd; threads: /proc/<pid>/status; connections, clients, replicas, instances: the app's"
      + " gauges (wikirecent_web_connections_open, _web_clients, _web_replicas, _views_instances, summed over labels); ingest"
      + " connections: wikirecent_ingest_connections_total; window events, users: wikirecent_views_window_events, _views_users");
    t.note("load average at the start " + loadAtStart + ", at the end " + Machine.loadAverage());
    return t;
  }

  /** The default views and a fixed draw of parameter sets. */
  static List<String> keys(long seed) {
    List<String> shaped = new ArrayList<>();
    for (List<ViewParams> sets : ShapedScenario.allSets()) {
      sets.forEach(p -> shaped.add(p.toString()));
    }
    Collections.shuffle(shaped, new Random(seed));
    List<String> out = new ArrayList<>(DEFAULT_KEYS);
    out.addAll(shaped.subList(0, Math.min(SHAPED_KEYS, shaped.size())));
    return out;
  }

  private static void sample(Report.Table t, String at, long t0, long pid, String base, boolean jcmd, Churn churn) throws Exception {
    long heap = ShapedScenario.heap(pid, base, jcmd);
    String m = Parts.httpBody(base + "/metrics");
    t.row("at", at, "minutes", (System.nanoTime() - t0) / 6e10, "sessions", churn == null ? 0 : churn.ended(),
      "failed", churn == null ? 0 : churn.failures(), "live", churn == null ? 0 : churn.live(),
      "events", FanOutScenario.metric(m, "wikirecent_views_events_applied_total"),
      "window", FanOutScenario.metric(m, "wikirecent_views_window_events"), "users", FanOutScenario.metric(m, "wikirecent_views_users"),
      "heapMiB", heap / 1048576.0,
      "rssMiB", Machine.rssBytes(pid) / 1048576.0, "files", Machine.openFiles(pid), "threads", Machine.threads(pid),
      "connections", FanOutScenario.metric(m, "wikirecent_web_connections_open"),
      "clients", FanOutScenario.metric(m, "wikirecent_web_clients"), "replicas", FanOutScenario.metric(m, "wikirecent_web_replicas"),
      "instances", FanOutScenario.metric(m, "wikirecent_views_instances"),
      "reconnects", FanOutScenario.metric(m, "wikirecent_ingest_connections_total"),
      "closedByReason", closedByReason(m));
  }

  /** wikirecent_web_connections_closed_total per reason, as the app counts them. */
  private static Map<String, Long> closedByReason(String metrics) {
    Map<String, Long> out = new HashMap<>();
    if (metrics == null) {
      return out;
    }
    for (String line : metrics.split("\n")) {
      if (line.startsWith("wikirecent_web_connections_closed_total{")) {
        int r = line.indexOf("reason=\"");
        String reason = r < 0 ? "?" : line.substring(r + 8, line.indexOf('"', r + 8));
        out.merge(reason, (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)), Long::sum);
      }
    }
    return out;
  }

  /** Least-squares slope of heap MiB over minutes, over the churn samples from {@code fromMinute} on. */
  static double slope(List<Map<String, Object>> rows, double fromMinute) {
    List<double[]> points = new ArrayList<>();
    for (Map<String, Object> r : rows) {
      double min = ((Number) r.get("minutes")).doubleValue();
      if ("churn".equals(r.get("at")) && min >= fromMinute) {
        points.add(new double[] {min, ((Number) r.get("heapMiB")).doubleValue()});
      }
    }
    if (points.size() < 2) {
      return Double.NaN;
    }
    double mx = points.stream().mapToDouble(p -> p[0]).average().orElse(0);
    double my = points.stream().mapToDouble(p -> p[1]).average().orElse(0);
    double num = 0;
    double den = 0;
    for (double[] p : points) {
      num += (p[0] - mx) * (p[1] - my);
      den += (p[0] - mx) * (p[0] - mx);
    }
    return den == 0 ? Double.NaN : num / den;
  }
}
