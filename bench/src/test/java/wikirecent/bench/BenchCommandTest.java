package wikirecent.bench;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.bus.ViewParams;
import wikirecent.testsupport.Child;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Keeps the bench command from rotting: its options, the client's frame scan, two tiny
 * scenarios end to end (one in this JVM, one through child JVMs) and the engine's paced steps.
 * No timing is asserted.
 */
class BenchCommandTest {

  @Test
  void quickDefaultsAndExplicitOptionsWin() {
    BenchOptions q = BenchOptions.parse("all", new String[] {"--quick", "--runs", "2", "--json", "out/b.json", "--polling-sizes", "10k,2M"});
    assertThat(q.quick).isTrue();
    assertThat(q.runs).isEqualTo(2);
    assertThat(q.json).isEqualTo(Path.of("out/b.json"));
    assertThat(q.scenarios()).containsExactly("throughput", "latency", "fanout", "polling", "restart", "shaped", "snapshots");
    assertThat(q.pollingSizes).containsExactly(10_000L, 2_000_000L);
    assertThat(q.restartSizes).containsExactly(10L << 20, 50L << 20);
    assertThat(q.fanoutClients).containsExactly(200L, 1000L);
    assertThat(q.shapedRates).containsExactly(1000L);
    assertThat(q.shapedSets).isEqualTo(20);
    assertThat(q.shapedClients).isEqualTo(200);
    assertThat(List.of(q.snapshotUsers, q.snapshotClients, q.snapshotRounds)).containsExactly(20_000, 20, 2);

    BenchOptions full = BenchOptions.parse("fanout", new String[0]);
    assertThat(full.quick).isFalse();
    assertThat(full.runs).isEqualTo(3);
    assertThat(full.scenarios()).containsExactly("fanout");
    assertThat(full.fanoutClients).containsExactly(1000L, 5000L, 10_000L);
    assertThat(full.fanoutTransports).containsExactly("websocket", "sockjs", "dashboard");
    assertThat(full.fanoutViews).containsExactly("counter");
    assertThat(BenchOptions.parse("fanout", new String[] {"--fanout-views", "counter,top10"}).fanoutViews).containsExactly("counter", "top10");
    assertThat(full.latencyRates).containsExactly(50L, 1000L, 10_000L);
    assertThat(full.latencyClients).containsExactly(1000L, 100L);
    assertThat(full.pollingSizes).containsExactly(10_000L, 100_000L, 1_000_000L, 10_000_000L);
    assertThat(full.restartSizes).containsExactly(100L << 20, 1L << 30);
    assertThat(full.liveRate).isEqualTo(40.0);
    assertThat(List.of(full.snapshotUsers, full.snapshotClients, full.snapshotRounds)).containsExactly(200_000, 100, 5);
    BenchOptions snapshots = BenchOptions.parse("snapshots", new String[] {"--snapshot-users", "50k", "--snapshot-clients", "7"});
    assertThat(snapshots.scenarios()).containsExactly("snapshots");
    assertThat(List.of(snapshots.snapshotUsers, snapshots.snapshotClients)).containsExactly(50_000, 7);

    BenchOptions shaped = BenchOptions.parse("shaped", new String[] {"--shaped-sets", "7", "--shaped-clients", "7k", "--shaped-rates", "40"});
    assertThat(shaped.scenarios()).containsExactly("shaped");
    assertThat(shaped.shapedSets).isEqualTo(7);
    assertThat(shaped.shapedClients).isEqualTo(7000);
    assertThat(shaped.shapedRates).containsExactly(40L);
    assertThat(shaped.shapedSeconds).isEqualTo(15);
    assertThat(shaped.shapedHistory).isEqualTo(20_000);
    BenchOptions shapedFull = BenchOptions.parse("shaped", new String[0]);
    assertThat(shapedFull.shapedSets).isEqualTo(100);
    assertThat(shapedFull.shapedClients).isEqualTo(1000);
    assertThat(shapedFull.shapedRates).containsExactly(40L, 1000L);
  }

  @Test
  void badArgumentsAreRefusedWithAReason() {
    assertThatThrownBy(() -> BenchOptions.parse("speed", new String[0])).hasMessageContaining("unknown scenario 'speed'");
    assertThatThrownBy(() -> BenchOptions.parse("all", new String[] {"--fast"})).hasMessageContaining("unknown option --fast");
    assertThatThrownBy(() -> BenchOptions.parse("all", new String[] {"--runs"})).hasMessageContaining("--runs needs a value");
    assertThatThrownBy(() -> BenchOptions.parse("all", new String[] {"--runs", "0"})).hasMessageContaining("at least 1");
    assertThatThrownBy(() -> BenchOptions.parse("all", new String[] {"--restart-sizes", "1 parsec"})).hasMessageContaining("100MB");
    assertThatThrownBy(() -> BenchOptions.parse("all", new String[] {"--fanout-transports", "xhr"})).hasMessageContaining("xhr");
    assertThatThrownBy(() -> BenchOptions.parse("all", new String[] {"--fanout-views", "counter,top11"})).hasMessageContaining("top11");
    assertThatThrownBy(() -> BenchOptions.parse("all", new String[] {"--fanout-views", "top10,counter"})).hasMessageContaining("start with counter");
    assertThatThrownBy(() -> BenchOptions.parse("shaped", new String[] {"--shaped-sets", "100", "--shaped-clients", "99"}))
      .hasMessageContaining("every set needs a client");
    assertThatThrownBy(() -> BenchOptions.parse("shaped", new String[] {"--shaped-sets", "10000"})).hasMessageContaining("at most");
    assertThatThrownBy(() -> BenchOptions.parse("fanout", new String[] {"--server-cpus", "0;1"})).hasMessageContaining("0;1");
    assertThat(BenchOptions.count("3k", "x")).isEqualTo(3000);
    assertThat(BenchOptions.bytes("512KB", "x")).isEqualTo(512 * 1024);
    assertThat(Bench.run(new String[] {"nonsense"}, new PrintStream(new ByteArrayOutputStream()))).isEqualTo(2);
  }

  @Test
  void theShapedKeysAreDistinctCanonicalNonDefaultSetsOfEveryViewAndParameter() {
    List<String> keys = ShapedScenario.keys(100);
    assertThat(keys).hasSize(100).doesNotHaveDuplicates();
    Set<ViewParams.View> views = new HashSet<>();
    Set<String> wikis = new HashSet<>();
    Set<Boolean> bots = new HashSet<>();
    Set<ViewParams.Window> windows = new HashSet<>();
    for (String key : keys) {
      ViewParams p = ViewParams.parse(key);
      assertThat(p.toString()).as("canonical").isEqualTo(key);
      assertThat(p.isDefault()).as(key).isFalse();
      views.add(p.view());
      wikis.add(p.wiki());
      bots.add(p.bot());
      windows.add(p.window());
    }
    assertThat(views).containsExactlyInAnyOrder(ViewParams.View.COUNTER, ViewParams.View.TOP10, ViewParams.View.TOP_WIKIS,
      ViewParams.View.EDITS_PER_MINUTE);
    assertThat(wikis).containsAll(ShapedScenario.KEY_WIKIS).contains((String) null);
    assertThat(bots).containsExactlyInAnyOrder(null, true, false);
    assertThat(windows).containsExactlyInAnyOrder(ViewParams.Window.values());
    // the views in turn: each of the first four is another view; the same keys every time, and a prefix for fewer
    assertThat(keys.subList(0, 4)).extracting(k -> ViewParams.parse(k).view()).doesNotHaveDuplicates();
    assertThat(ShapedScenario.keys(100)).isEqualTo(keys);
    assertThat(ShapedScenario.keys(20)).isEqualTo(keys.subList(0, 20));
    // 3 views x (7 wikis x 3 bots x 4 windows - the default) + edits_per_minute's 6 wikis
    assertThat(ShapedScenario.maxSets()).isEqualTo(3 * (7 * 3 * 4 - 1) + 6);
    assertThat(ShapedScenario.keys(ShapedScenario.maxSets())).doesNotHaveDuplicates();
  }

  @Test
  void aShapedClientBuildsTheRowsFromTheSnapshotAndDiffs() {
    Map<String, Integer> rows = new HashMap<>();
    JsonObject snapshot = new JsonObject().put("view", "top10").put("timestamp", 1L).put("snapshot", true)
      .put("inserted", new JsonArray().add(new JsonArray().add("Ann").add(2)).add(new JsonArray().add("Bo").add(1)))
      .put("deleted", new JsonArray());
    assertThat(ShapedClientMode.apply(rows, snapshot)).isZero();
    JsonObject diff = new JsonObject().put("view", "top10").put("timestamp", 2L)
      .put("inserted", new JsonArray().add(new JsonArray().add("Bo").add(2)))
      .put("deleted", new JsonArray().add(new JsonArray().add("Bo").add(1)).add(new JsonArray().add("Cy").add(9)));
    assertThat(ShapedClientMode.apply(rows, diff)).as("Cy was never there").isEqualTo(1);
    assertThat(rows).containsOnly(Map.entry("[\"Ann\",2]", 1), Map.entry("[\"Bo\",2]", 1));
    ShapedClientMode.apply(rows, snapshot);
    assertThat(rows).containsOnly(Map.entry("[\"Ann\",2]", 1), Map.entry("[\"Bo\",1]", 1));
  }

  @Test
  void theShapedFeedSpreadsWikisMovesEventTimeAndHasItsOwnIds(@TempDir Path tmp) throws Exception {
    Path prefix = tmp.resolve("p.jsonl");
    Path full = tmp.resolve("f.jsonl");
    ShapedFeed.write(prefix, 100, full, 1000);
    List<String> lines = Files.readAllLines(full);
    assertThat(lines).hasSize(1000);
    assertThat(Files.readAllLines(prefix)).isEqualTo(lines.subList(0, 100));
    Set<String> ids = new HashSet<>();
    Set<String> wikis = new HashSet<>();
    for (int i = 0; i < lines.size(); i++) {
      JsonObject e = new JsonObject(lines.get(i));
      ids.add(e.getJsonObject("meta").getString("id"));
      wikis.add(e.getString("wiki"));
      assertThat(e.getLong("timestamp")).isEqualTo(ShapedFeed.FIRST_TIMESTAMP + i / ShapedFeed.EVENTS_PER_SECOND);
    }
    assertThat(ids).hasSize(1000);
    assertThat(wikis).containsAll(ShapedScenario.KEY_WIKIS).isSubsetOf(ShapedFeed.WIKIS);
  }

  /** The dashboard case follows what the page follows: its panels' views and the picker's. */
  @Test
  void theDashboardCaseFollowsThePagesViews() throws Exception {
    Path app = Files.exists(Path.of("../webroot/app.js")) ? Path.of("../webroot/app.js") : Path.of("webroot/app.js");
    String js = Files.readString(app);
    Set<String> views = new HashSet<>();
    for (Pattern p : List.of(Pattern.compile("\\bview: '(\\w+)'"),
        Pattern.compile("follows\\.want\\('(\\w+)'"))) {
      Matcher m = p.matcher(js);
      while (m.find()) {
        views.add(m.group(1));
      }
    }
    assertThat(views).as("the views webroot/app.js follows").hasSizeGreaterThanOrEqualTo(4);
    assertThat(BenchOptions.DASHBOARD_VIEWS).containsExactlyInAnyOrderElementsOf(views);
  }

  @Test
  void aSnapshotAnswerIsReadAsTheViewMessageItHoldsOnEachTransport() throws Exception {
    JsonObject body = new JsonObject().put("view", "user_edits").put("timestamp", 1700000000456L)
      .put("inserted", new JsonArray().add(new JsonArray().add("A \"quoted\" name").add(3))).put("deleted", new JsonArray())
      .put("snapshot", true);
    Buffer plain = body.toBuffer();
    Buffer sockJs = Buffer.buffer("a" + new JsonArray().add(new JsonObject().put("type", "rec").put("address", "r-1")
      .put("body", body).encode()).encode());
    ByteArrayOutputStream gzipped = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(gzipped)) {
      z.write(plain.getBytes());
    }
    for (Buffer answer : List.of(plain, sockJs, Buffer.buffer(gzipped.toByteArray()))) {
      assertThat(SnapshotScenario.message(answer)).isEqualTo(body);
      assertThat(SnapshotScenario.timestamp(answer)).isEqualTo(1700000000456L);
    }
    assertThat(SnapshotScenario.timestamp(Buffer.buffer("{\"view\":\"user_edits\"}"))).isEqualTo(-1);
  }

  @Test
  void theClientScanFindsEachViewMessageInWebSocketAndSockJsFramesAndCanKeepOneView() {
    List<long[]> seen = new ArrayList<>();
    StreamClients.Listener l = (client, ts, count, snapshot, bytes, nanos) -> seen.add(new long[] {client, ts, count, snapshot ? 1 : 0});

    StreamClients.scan(7, Buffer.buffer("{\"view\":\"counter\",\"timestamp\":1700000000123,\"inserted\":[[42]],\"deleted\":[[41]]}"), l);
    // SockJS: a JSON array of bridge frames, each a JSON string, so the quotes inside are escaped
    String rec1 = new JsonObject().put("type", "rec").put("address", "views.counter").put("body",
      new JsonObject().put("view", "counter").put("timestamp", 5L).put("inserted", new JsonArray().add(new JsonArray().add(9)))
        .put("deleted", new JsonArray()).put("snapshot", true)).encode();
    String rec2 = new JsonObject().put("type", "rec").put("address", "views.counter").put("body",
      new JsonObject().put("view", "counter").put("timestamp", 6L).put("inserted", new JsonArray().add(new JsonArray().add(10)))
        .put("deleted", new JsonArray().add(new JsonArray().add(9)))).encode();
    StreamClients.scan(3, Buffer.buffer("a" + new JsonArray().add(rec1).add(rec2).encode()), l);
    StreamClients.scan(3, Buffer.buffer("h"), l);

    assertThat(seen).extracting(x -> x[0] + "/" + x[1] + "/" + x[2] + "/" + x[3])
      .containsExactly("7/1700000000123/42/0", "3/5/9/1", "3/6/10/0");

    // A session following several views: only the counter's messages are timed.
    seen.clear();
    String top10 = new JsonObject().put("type", "rec").put("address", "views.top10").put("body",
      new JsonObject().put("view", "top10").put("timestamp", 7L).put("inserted", new JsonArray().add(new JsonArray().add("counter").add(3)))
        .put("deleted", new JsonArray())).encode();
    byte[] counter = "counter".getBytes(StandardCharsets.US_ASCII);
    StreamClients.scan(4, Buffer.buffer("a" + new JsonArray().add(top10).add(rec2).encode()), counter, l);
    StreamClients.scan(4, Buffer.buffer("{\"view\":\"top10\",\"timestamp\":8,\"inserted\":[[\"counter\",5]]}"), counter, l);
    StreamClients.scan(4, Buffer.buffer("{\"view\":\"counter\",\"timestamp\":9,\"inserted\":[[11]]}"), counter, l);
    assertThat(seen).extracting(x -> x[0] + "/" + x[1] + "/" + x[2] + "/" + x[3]).containsExactly("4/6/10/0", "4/9/11/0");
  }

  @Test
  void theLoadClientsOfferDeflateAsBrowsersDoAndCountWhoAgreed() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      for (boolean accepts : new boolean[] {true, false}) {
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setPort(0)
            .setPerMessageWebSocketCompressionSupported(accepts))
          .webSocketHandler(ws -> ws.writeTextMessage("{\"view\":\"counter\",\"timestamp\":1,\"inserted\":[[1]],\"snapshot\":true}"))
          .listen().await();
        StreamClients load = new StreamClients(vertx, 3);
        List<Long> counts = Collections.synchronizedList(new ArrayList<>());
        load.connect("127.0.0.1", server.actualPort(), StreamClients.Transport.WEBSOCKET, "counter", 3,
          (client, ts, count, snapshot, bytes, nanos) -> counts.add(count)).await();
        long until = System.currentTimeMillis() + 30_000;
        while (counts.size() < 3 && System.currentTimeMillis() < until) {
          Thread.sleep(10);
        }
        assertThat(counts).as("each client read its (inflated) snapshot").containsExactly(1L, 1L, 1L);
        assertThat(load.deflatedCount()).as("server accepts deflate: " + accepts).isEqualTo(accepts ? 3 : 0);
        load.close().await();
        server.close().await();
      }
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void aTinyThroughputRunWritesItsTableAsJson(@TempDir Path tmp) throws Exception {
    Path json = tmp.resolve("bench.json");
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    int code = Bench.run(new String[] {"throughput", "--throughput-events", "2000", "--runs", "1", "--json", json.toString(),
      "--tmp", tmp.toString(), "--verbose"}, new PrintStream(printed, true, StandardCharsets.UTF_8));

    assertThat(code).as(printed.toString(StandardCharsets.UTF_8)).isZero();
    JsonObject report = new JsonObject(Files.readString(json));
    assertThat(report.getJsonObject("machine").getInteger("cores")).isPositive();
    JsonObject table = report.getJsonArray("scenarios").getJsonObject(0);
    assertThat(table.getString("scenario")).isEqualTo("throughput");
    assertThat(table.getString("status")).isEqualTo("ok");
    JsonObject median = table.getJsonArray("rows").getJsonObject(1);
    assertThat(median.getString("run")).isEqualTo("median");
    assertThat(median.getLong("events")).isEqualTo(2000);
    assertThat(median.getDouble("pipelineEventsPerSecond")).isPositive();
    assertThat(median.getDouble("ceilingEventsPerSecond")).isPositive();
    assertThat(printed.toString(StandardCharsets.UTF_8)).contains("pipeline/ceiling", "median");
    try (var left = Files.list(tmp)) {
      assertThat(left).as("the temp dir is cleaned up").containsExactly(json);
    }
  }

  @Test
  void engineStepsTimeSleepingSpinningAndBackToBackSteps() throws Exception {
    List<String> sample = LargeFileGenerator.sampleLines(null);
    Path file = EngineBatchCost.history(2_000, 300, 1, sample);
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    PrintStream out = System.out;
    try {
      System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
      EngineBatchCost.steps(file, 200, 1_000_000, List.of(), sample);
    } finally {
      System.setOut(out);
      EngineBatchCost.deleteDir(file.getParent());
    }
    String text = printed.toString(StandardCharsets.UTF_8);
    assertThat(text).contains("every 1.0 ms", "bytes allocated per step", "checkpoint write");
    assertThat(text).containsPattern("sleeping between steps median [0-9.]+ us, p90 [0-9.]+ us \\(50 steps\\)")
      .containsPattern("spinning between steps median [0-9.]+ us, p90 [0-9.]+ us \\(50 steps\\)")
      .containsPattern("back to back median [0-9.]+ us, p90 [0-9.]+ us \\(200 steps\\)")
      .containsPattern("bare step .*: sleeping median [0-9.]+ us, p90 [0-9.]+ us \\(50 steps\\); spinning median [0-9.]+ us,"
        + " p90 [0-9.]+ us \\(50 steps\\); back to back median [0-9.]+ us, p90 [0-9.]+ us \\(200 steps\\);"
        + " engine/bare, medians: sleeping [0-9.]+, spinning [0-9.]+, back to back [0-9.]+")
      .containsPattern("\\(2,000 events of history");
  }

  @Test
  void thePollingWarmUpFeedsALiveEngineEveryAppend(@TempDir Path tmp) throws Exception {
    List<String> sample = LargeFileGenerator.sampleLines(null);
    Files.writeString(tmp.resolve("recentchanges"), "left over from a run before\n");

    EngineBatchCost.warmLivePath(tmp, sample, 300); // throws unless the engine's counter reached 300

    List<String> lines = Files.readAllLines(tmp.resolve("recentchanges"), StandardCharsets.UTF_8);
    assertThat(lines).doesNotContain("left over from a run before");
    assertThat(lines.stream().filter(l -> l.startsWith("data: "))).hasSize(300);
  }

  @Test
  void aTinySoakChurnsSessionsAgainstTheRealAppAndWeighsItAfter(@TempDir Path tmp) throws Exception {
    Path json = tmp.resolve("bench.json");
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    int code = Bench.run(new String[] {"soak", "--soak-seconds", "8", "--soak-sample-seconds", "4", "--soak-sessions", "20",
      "--soak-rate", "100", "--json", json.toString(), "--tmp", tmp.toString()}, new PrintStream(printed, true, StandardCharsets.UTF_8));

    assertThat(code).as(printed.toString(StandardCharsets.UTF_8)).isZero();
    JsonArray rows = new JsonObject(Files.readString(json)).getJsonArray("scenarios").getJsonObject(0).getJsonArray("rows");
    assertThat(rows.stream().map(r -> ((JsonObject) r).getString("at"))).containsExactly("start", "churn", "churn", "quiet");
    JsonObject churn = rows.getJsonObject(2);
    assertThat(churn.getLong("sessions")).isPositive();
    assertThat(churn.getLong("clients")).isPositive();
    assertThat(churn.getDouble("heapMiB")).isPositive();
    assertThat(churn.getLong("files")).isPositive();
    assertThat(churn.getLong("threads")).isPositive();
  }

  @Test
  void aPinnedChildRunsOnlyOnItsCpusUnderItsOwnPid(@TempDir Path tmp) throws Exception {
    BenchOptions o = BenchOptions.parse("fanout", new String[] {"--server-cpus", "0", "--client-cpus", "0-1"});
    assertThat(o.serverCpus).isEqualTo("0");
    assertThat(o.clientCpus).isEqualTo("0-1");
    try {
      Parts.useCpus(o.serverCpus, o.clientCpus);
      assertThat(Parts.appCommand()).startsWith("taskset", "-c", "0").contains("wikirecent.Main");
      assertThat(Parts.clientCommand("client", List.of())).startsWith("taskset", "-c", "0-1").endsWith("client");
      assertThat(Parts.cpusNote()).contains("server on CPUs 0, the clients on 0-1");
    } finally {
      Parts.useCpus(null, null);
    }
    assertThat(Parts.appCommand()).as("unpinned again").doesNotContain("taskset");

    // The scenarios read the child's CPU time and heap by its pid: that must be the pinned command's, not taskset's.
    // On a CPU this runner may use (a CI box's cpuset need not hold CPU 0).
    Matcher allowed = Pattern.compile("Cpus_allowed_list:\\s+(\\d+)").matcher(Files.readString(Path.of("/proc/self/status")));
    assertThat(allowed.find()).isTrue();
    String cpu = allowed.group(1);
    try (Child c = Child.start("sleeper", Parts.pinned(cpu, List.of("sleep", "30")), Map.of(), tmp.resolve("s.log"), false)) {
      Path proc = Path.of("/proc", String.valueOf(c.pid()));
      String status = "";
      for (int i = 0; i < 100 && !status.contains("Name:\tsleep"); i++) {
        Thread.sleep(50);
        status = Files.readString(proc.resolve("status"));
      }
      assertThat(status).contains("Name:\tsleep").containsPattern("Cpus_allowed_list:\\s+" + cpu + "\n");
    }
  }

  @Test
  void aTinyRestartRunStartsTheRealAppInChildJvms(@TempDir Path tmp) throws Exception {
    Path json = tmp.resolve("bench.json");
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    int code = Bench.run(new String[] {"restart", "--restart-sizes", "200KB", "--runs", "1", "--json", json.toString(),
      "--tmp", tmp.toString(), "--verbose"}, new PrintStream(printed, true, StandardCharsets.UTF_8));

    assertThat(code).as(printed.toString(StandardCharsets.UTF_8)).isZero();
    JsonArray rows = new JsonObject(Files.readString(json)).getJsonArray("scenarios").getJsonObject(0).getJsonArray("rows");
    assertThat(rows).hasSize(3); // empty; the file without and with the checkpoint
    assertThat(rows.getJsonObject(1).getString("checkpoint")).isEqualTo("without");
    assertThat(rows.getJsonObject(2).getString("checkpoint")).isEqualTo("with");
    assertThat(rows.getJsonObject(1).getLong("events")).isPositive();
    assertThat(rows.getJsonObject(2).getLong("checkpointBytes")).isPositive();
  }
}
