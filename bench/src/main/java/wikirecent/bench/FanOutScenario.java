package wikirecent.bench;

import wikirecent.testsupport.Dirs;
import wikirecent.testsupport.Child;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import wikirecent.replay.ReplayOptions;
import wikirecent.replay.ReplayServer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * 3. Fan-out. Per case, a fresh server process (the real jar, roles {@code ingest,views,web}) follows
 * the replay server (in this process) at the live rate; a client process ({@code bench client})
 * connects N WebSocket or SockJS clients to the counter view, each of which gets every batch. The
 * client process reports delivery latency (its wall clock on receipt minus the batch timestamp)
 * and frames/s; this process weighs the server: heap after a full GC ({@code jcmd GC.run}, then
 * {@code jvm_memory_used_bytes} from {@code /metrics}) and VmRSS, before the clients and with them.
 */
final class FanOutScenario {

  private static final int WARMUP_SECONDS = 3;

  private FanOutScenario() {
  }

  static Report.Table run(BenchOptions o, Path tmp) throws Exception {
    Report.Table t = new Report.Table("fanout",
      "3. Fan-out: N clients of the counter view, each getting every batch at the live rate (server and clients in separate JVMs)")
      .column("transport", "transport", "%s")
      .column("clients", "clients", "%,d")
      .column("connectSeconds", "connect s", "%.1f")
      .column("deflated", "deflated", "%,d")
      .column("batchesPerClientPerSecond", "counter frames/s per client", "%.1f")
      .column("batchesPerClientMin", "fewest frames", "%,d")
      .column("views", "views", "%d")
      .column("framesPerSecond", "frames/s", "%,.0f")
      .column("allFramesPerSecond", "all frames/s", "%,.0f")
      .column("p50Ms", "p50 ms", "%.1f")
      .column("p99Ms", "p99 ms", "%.1f")
      .column("p999Ms", "p99.9 ms", "%.1f")
      .column("p99IfUntimedSlowestMs", "p99 ms, untimed slowest", "%.1f")
      .column("newestP99Ms", "newest p99 ms", "%.1f")
      .column("missingPairs", "missing pairs", "%,d")
      .column("heapMiB", "heap MiB", "%,.1f")
      .column("heapPerClientKiB", "heap/client KiB", "%.1f")
      .column("heapMarginalPerClientKiB", "marginal heap/client KiB", "%.1f")
      .column("rssMiB", "RSS MiB", "%,.0f")
      .column("rssPerClientKiB", "RSS/client KiB", "%.1f")
      .column("serverCpuPercent", "server CPU %", "%.0f")
      .column("clientsCpuPercent", "clients CPU %", "%.0f")
      .column("serverMicrosPerFrame", "server us/frame", "%.1f")
      .column("dropped", "dropped", "%,d")
      .column("resyncs", "resyncs", "%,d")
      .column("closedInWindow", "closed", "%,d");
    boolean jcmd = jcmdAvailable();
    Vertx upstream = Vertx.vertx();
    try {
      for (String transport : o.fanoutTransports) {
        Map<String, Object> previous = null;
        for (long n : o.fanoutClients) {
          Path dir = Files.createTempDirectory(tmp, transport + n);
          try {
            boolean page = transport.equals(BenchOptions.DASHBOARD);
            Map<String, Object> row = measure(t, upstream, o.liveRate, transport,
              page ? StreamClients.Transport.SOCKJS : StreamClients.Transport.of(transport),
              page ? BenchOptions.DASHBOARD_VIEWS : o.fanoutViews, (int) n, o.fanoutSeconds, jcmd, dir);
            if (previous != null) {
              row.put("heapMarginalPerClientKiB", marginalKiBPerClient(previous, row, "heapMiB"));
              row.put("rssMarginalPerClientKiB", marginalKiBPerClient(previous, row, "rssMiB"));
            }
            previous = row;
          } finally {
            Dirs.deleteTree(dir);
          }
        }
      }
    } finally {
      Parts.close(upstream);
    }
    t.note(String.format("live feed: the bundled sample looped by the replay server at %.0f events/s; the engine closes about one"
      + " batch per append, so the counter changes ~%.0f times a second", o.liveRate, o.liveRate));
    t.note("websocket: /api/stream/counter; sockjs: /eventbus/<server>/<session>/websocket (SockJS framing o / a[...] / h),"
      + " registering on views.counter and asking for the snapshot as the dashboard does; views: how many views each SockJS"
      + " session follows (--fanout-views; the counter's batches are timed), frames/s counts the counter's, all frames/s every view's;"
      + " dashboard: SockJS sessions following the page's five views (" + String.join(", ", BenchOptions.DASHBOARD_VIEWS) + "),"
      + " what a browser on the page is");
    t.note("the clients connect while the server is idle (connect s); the feed starts once all are connected; each offers"
      + " permessage-deflate, as browsers do, and deflated counts the sockets whose server agreed to compress");
    t.note("one run per case, " + o.fanoutSeconds + " s measured after " + WARMUP_SECONDS + " s of warm-up; latency = client wall"
      + " clock on receipt minus the batch's timestamp (the engine's wall clock in ms when it closed the batch, so up to 1 ms high);"
      + " percentiles over every (batch, client) pair: a frame merging batches delivers each, each from its own timestamp;"
      + " newest p99: the newest batch of each frame only, as rounds 0-2 measured");
    t.note("server: a fresh JVM of the whole app per case (default JVM flags); clients: one more JVM (`bench client`), so each"
      + " process stays under the 20,000 open-file limit (10k sockets each at 10k clients); " + Parts.cpusNote());
    t.note("missing pairs: (batch, client) pairs the latency percentiles lack, at most: a batch never the newest of any client's"
      + " frame cannot be timed. 0 when every counter batch the engine published over the run"
      + " (wikirecent_views_batches_published_total, read once the feed has stopped and the clients are quiet) was learnt from some"
      + " frame; else the smaller of (batches not learnt x clients) and the counter's events in the window's frames beyond the"
      + " batches timed in them (a batch holds at least one event); p99 ms, untimed slowest: the p99 as if every missing pair"
      + " were slower than the slowest timed, a bound on what they can hide (-1: they alone pass the p99, no bound)");
    t.note((jcmd ? "heap: used heap after a full GC (one jcmd <pid> -f: GC.run, then GC.heap_info)"
      : "heap: used heap from /metrics WITHOUT a full GC (no jcmd on this machine), so it includes garbage")
      + ", with the clients connected; per client = (with - before the clients) / N, where before is the idle server (no feed"
      + " yet) and with is after the live feed has run, so it also charges the clients the node's fixed cost of a live feed;"
      + " marginal heap/client = the difference of `with` between this row and the one above (same transport, fewer clients, both"
      + " fed) / the difference in clients, which that fixed cost leaves out; RSS = VmRSS of the server process");
    t.note("server CPU %, clients CPU %: each process's CPU time (every thread's, ended ones too: utime + stime of /proc/<pid>/stat) over the"
      + " measured window, in % of one core (this box has " + Runtime.getRuntime().availableProcessors() + "); server us/frame:"
      + " the server's CPU time over the window by the frames its clients received in it (ingest's and the engine's share included)");
    t.note("fewest frames: the counter frames the client that got fewest received in the window; 0: a client lost before"
      + " or in it, whose pairs the percentiles leave out");
    t.note("dropped: frames the server did not send because a client's queue was full (wikirecent_web_frames_dropped_total);"
      + " resyncs: snapshots clients got in the window after falling behind; closed: client sockets that closed in the window");
    return t;
  }

  /**
   * Heap (or RSS) per client between two rows of one transport: the difference of their figures with the clients
   * connected over the difference in clients, in KiB; NaN if either figure is missing.
   */
  static double marginalKiBPerClient(Map<String, Object> fewer, Map<String, Object> more, String mibKey) {
    double a = ((Number) fewer.get(mibKey)).doubleValue();
    double b = ((Number) more.get(mibKey)).doubleValue();
    long n = ((Number) more.get("clients")).longValue() - ((Number) fewer.get("clients")).longValue();
    return n == 0 || a < 0 || b < 0 ? Double.NaN : (b - a) * 1024 / n;
  }

  /**
   * Pairs the window's latency lacks, at most: none if the clients learnt every batch the engine published over the run;
   * else the smaller of the pairs those batches could have had and the bound from the counter's events. {@code published}
   * -1 (not read): the events' bound alone.
   */
  static long missingPairs(long published, long learnt, int clients, long eventsBound) {
    if (published < 0) {
      return eventsBound;
    }
    long notLearnt = Math.max(0, published - learnt);
    return notLearnt == 0 ? 0 : Math.min(eventsBound, notLearnt * clients);
  }

  /**
   * @param label the case as the table names it: the transport, or {@code dashboard} (SockJS, the page's views)
   * @return its row
   */
  private static Map<String, Object> measure(Report.Table t, Vertx upstream, double rate, String label,
                                             StreamClients.Transport transport, List<String> views, int clients, int seconds,
                                             boolean jcmd, Path dir) throws Exception {
    int port = Parts.freePort();
    int feedPort = Parts.freePort();
    Path data = Files.createDirectories(dir.resolve("data"));
    // The feed starts only once every client is connected (a connection storm and the fan-out would fight over the
    // web part's one event loop); until then ingest retries every half second.
    Map<String, String> env = Parts.wholeAppEnv(port, data, feedPort);
    String base = "http://127.0.0.1:" + port;
    ReplayServer feed = null;
    try (Child server = Child.start("server", Parts.appCommand(), env, dir.resolve("server.log"), false)) {
      Parts.awaitApp(server, base, Duration.ofMinutes(2));
      Thread.sleep(1000);
      long heapBefore = heap(server.pid(), base, jcmd);
      long rssBefore = Machine.rssBytes(server.pid());
      List<String> args = new ArrayList<>(List.of("--port", String.valueOf(port), "--transport",
        transport.label(), "--view", String.join(",", views), "--clients", String.valueOf(clients), "--warmup", String.valueOf(WARMUP_SECONDS),
        "--seconds", String.valueOf(seconds), "--wait-start", "true"));
      try (Child client = Child.start("clients", Parts.clientCommand("client", args), Map.of(), dir.resolve("clients.log"), true)) {
        double connectSeconds = Double.parseDouble(client.awaitLine("CONNECTED", Duration.ofMinutes(10)).split(" ")[1]);
        feed = Parts.await(ReplayServer.start(upstream, new ReplayOptions().port(feedPort).rate(rate).loop(true)),
          Duration.ofMinutes(1));
        client.send("start");
        JsonObject r;
        long w0;
        long serverCpu0;
        long clientsCpu0;
        try {
          client.awaitLine("WINDOW", Duration.ofSeconds(WARMUP_SECONDS + 60));
          w0 = System.nanoTime();
          serverCpu0 = Machine.processCpuNanos(server.pid());
          clientsCpu0 = Machine.processCpuNanos(client.pid());
          r = new JsonObject(client.awaitLine("RESULT", Duration.ofSeconds(seconds + 120)));
        } catch (IOException e) {
          throw new IOException(e.getMessage() + "\nserver log ends:\n" + server.logTail(20), e);
        }
        double cpuSeconds = (System.nanoTime() - w0) / 1e9;
        long serverCpu = Machine.processCpuNanos(server.pid()) - serverCpu0;
        long clientsCpu = Machine.processCpuNanos(client.pid()) - clientsCpu0;
        long heapWith = heap(server.pid(), base, jcmd);
        long rssWith = Machine.rssBytes(server.pid());
        // Every batch the engine published against those the clients learnt: the feed stops, the node sends what it had.
        Parts.await(feed.close(), Duration.ofSeconds(30));
        feed = null;
        client.send("batches");
        long learnt = new JsonObject(client.awaitLine("BATCHES", Duration.ofSeconds(90))).getLong("learntBatches");
        String after = Parts.httpBody(base + "/metrics");
        // No such sample (a renamed meter) is unknown, not 0 batches: a 0 would read as "every batch learnt".
        long published = after != null && after.contains("wikirecent_views_batches_published_total{")
          ? metric(after, "wikirecent_views_batches_published_total", "view=\"counter\"") : -1;
        client.send("quit");
        client.close();
        // Asked once the clients are gone: a saturated web event loop answers /metrics late.
        long dropped = metric(Parts.httpBody(base + "/metrics"), "wikirecent_web_frames_dropped_total");
        double window = r.getDouble("windowSeconds");
        return t.row("transport", label, "clients", clients, "connectSeconds", connectSeconds, "deflated", r.getLong("deflated"),
          "batchesPerClientPerSecond", r.getDouble("batchesPerClientMedian") / window,
          "views", transport == StreamClients.Transport.SOCKJS ? views.size() : 1,
          "framesPerSecond", r.getDouble("framesPerSecond"), "allFramesPerSecond", r.getDouble("allFramesPerSecond"),
          "p50Ms", r.getDouble("p50Ms"), "p99Ms", r.getDouble("p99Ms"), "p999Ms", r.getDouble("p999Ms"), "maxMs", r.getDouble("maxMs"),
          "p99IfUntimedSlowestMs", r.getDouble("p99IfUntimedSlowestMs"), "newestP50Ms", r.getDouble("newestP50Ms"), "newestP99Ms", r.getDouble("newestP99Ms"), "batchPairs", r.getLong("batchPairs"),
          "heapMiB", heapWith / 1048576.0, "heapPerClientKiB", (heapWith - heapBefore) / 1024.0 / clients,
          "heapBeforeMiB", heapBefore / 1048576.0,
          "rssMiB", rssWith / 1048576.0, "rssPerClientKiB", (rssWith - rssBefore) / 1024.0 / clients,
          "rssBeforeMiB", rssBefore / 1048576.0, "peakRssMiB", Machine.peakRssBytes(server.pid()) / 1048576.0,
          "serverCpuPercent", serverCpu / 1e7 / cpuSeconds, "clientsCpuPercent", clientsCpu / 1e7 / cpuSeconds,
          "serverMicrosPerFrame", serverCpu / 1e3 / (r.getDouble("allFramesPerSecond") * cpuSeconds),
          "dropped", dropped, "resyncs", r.getLong("snapshotsInWindow"),
          "batchesPerClientMin", r.getLong("batchesPerClientMin"), "batchesPerClientMax", r.getLong("batchesPerClientMax"),
          "closedInWindow", r.getLong("closedInWindow"), "bytesPerSecond", r.getDouble("bytesPerSecond"),
          "missingPairs", missingPairs(published, learnt, clients, r.getLong("missingPairsAtMost")),
          "missingPairsAtMost", r.getLong("missingPairsAtMost"), "publishedBatches", published, "learntBatches", learnt);
      }
    } finally {
      if (feed != null) {
        Parts.await(feed.close(), Duration.ofSeconds(30));
      }
    }
  }

  /**
   * Used heap of the server right after a full GC ({@code GC.run} then {@code GC.heap_info}, in one jcmd: it answers
   * even while the server's event loops are saturated); without jcmd, {@code jvm_memory_used_bytes} from /metrics,
   * garbage included. One jcmd, not two: a second JVM's start between them let a running feed's garbage of up to a
   * second into the figure, counted in a loaded server's heap and not in the idle one it is compared with.
   */
  static long heap(long pid, String base, boolean jcmd) throws Exception {
    if (jcmd) {
      Path commands = Files.createTempFile("wikirecent-bench-heap", ".jcmd");
      String info;
      try {
        Files.writeString(commands, "GC.run\nGC.heap_info\n");
        info = jcmd(pid, "-f", commands.toString());
      } finally {
        Files.deleteIfExists(commands);
      }
      long kib = usedHeapKiB(info);
      if (kib < 0) {
        throw new IllegalStateException("no used heap in jcmd " + pid + " GC.heap_info: " + info.strip());
      }
      return kib * 1024;
    }
    String metrics = Parts.httpBody(base + "/metrics");
    long sum = 0;
    if (metrics != null) {
      for (String line : metrics.split("\n")) {
        if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
          sum += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
    }
    return sum;
  }

  /**
   * One space of the heap: "total 393216K, used 11476K" up to JDK 21, "total reserved 6172672K, committed 393216K,
   * used 11476K" in 25. G1 has one ("garbage-first heap"); the serial and parallel collectors, which a JVM that sees
   * one CPU picks, have two (young and old), so the used heap is their sum. Metaspace's line has no "total".
   */
  static final Pattern HEAP_USED = Pattern.compile("total (?:reserved \\d+K, committed )?\\d+K, used (\\d+)K");

  /** The used heap in KiB in jcmd's {@code GC.heap_info} answer, or -1 if it names none. */
  static long usedHeapKiB(String info) {
    Matcher m = HEAP_USED.matcher(info);
    long kib = -1;
    while (m.find()) {
      kib = Math.max(kib, 0) + Long.parseLong(m.group(1));
    }
    return kib;
  }

  private static String jcmd(long pid, String... command) throws Exception {
    List<String> line = new ArrayList<>(List.of("jcmd", String.valueOf(pid)));
    line.addAll(List.of(command));
    Process p = new ProcessBuilder(line).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    p.waitFor(60, TimeUnit.SECONDS);
    return out;
  }

  /** The sum of a Prometheus metric's samples (over its labels), or -1 when /metrics did not answer. */
  static long metric(String metrics, String name) {
    return metric(metrics, name, null);
  }

  /** The same over the samples whose labels include {@code label} ({@code view="counter"}; null: all). */
  static long metric(String metrics, String name, String label) {
    if (metrics == null) {
      return -1;
    }
    double sum = 0;
    for (String line : metrics.split("\n")) {
      boolean labelled = line.startsWith(name + "{");
      if ((labelled || line.startsWith(name + " "))
        && (label == null || labelled && line.substring(0, line.indexOf('}') + 1).contains(label))) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return (long) sum;
  }

  static boolean jcmdAvailable() {
    try {
      Process p = new ProcessBuilder("jcmd", "-h").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
