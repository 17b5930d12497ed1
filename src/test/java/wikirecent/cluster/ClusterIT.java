package wikirecent.cluster;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewTable;
import wikirecent.bus.Views;
import wikirecent.replay.ReplayOptions;
import wikirecent.replay.ReplayServer;
import wikirecent.testsupport.JarProcess;
import wikirecent.testsupport.Ports;
import wikirecent.testsupport.StreamWatcher;
import wikirecent.testsupport.Wait;
import wikirecent.web.Http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The parts on separate JVMs over the clustered event bus, each started from the jar with
 * {@code -cluster} on loopback: node "views" runs {@code ingest,views} (fed by a replay server in
 * this JVM), nodes "web-b" and "web-c" run {@code web}. WebSocket clients on both web nodes must
 * see the same batches and end where {@code /api/views/<view>} says; a late web node and a
 * restarted view source must converge through the snapshot protocol; a killed web node must not
 * disturb the other. The replay server is stopped to let the pipeline come to rest whenever end
 * states are compared, and started again on the same port (ingest resumes with Last-Event-ID).
 * <p>
 * One cluster serves all steps (each JVM takes seconds to start and join); the one that kills a
 * node runs last. Logs: {@code target/cluster-it/<run>/<node>.log}, printed when a step fails.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {

  private static final Duration LONG = Duration.ofSeconds(90);
  private static final double RATE = 40; // events per second: batches keep coming, two cores keep up
  private static final List<String> VIEWS = Stream.of(Views.values()).map(Views::viewName).toList();

  private final String run = "it-" + UUID.randomUUID().toString().substring(0, 8);
  private final Path logs = Path.of("target", "cluster-it", run).toAbsolutePath();
  private final List<JarProcess> nodes = new ArrayList<>();
  private final List<StreamWatcher> subscribers = new ArrayList<>();
  private Vertx vertx;
  private Path work;
  private ReplayServer replay;
  private boolean feedPaused;
  private int replayPort;
  private int[] hazelcastPorts;
  private JarProcess views;
  private JarProcess webB;
  private JarProcess webC;
  private int httpB;
  private int httpC;
  private int hazelcastC;

  @RegisterExtension
  final TestWatcher printLogsOnFailure = new TestWatcher() {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      printLogs(context.getDisplayName());
    }
  };

  @BeforeAll
  void startCluster() throws Exception {
    vertx = Vertx.vertx();
    work = Files.createTempDirectory("wikirecent-cluster-it");
    hazelcastPorts = Ports.freePorts(4);
    try {
      startReplay(0);

      aWebNodeStartedFirstIsNotReadyUntilTheViewSourceJoins();
      webC = startNode("web-c", "web", 2);
      hazelcastC = webC.awaitJoined(3);
      httpC = webC.awaitHttpPort();
      awaitReady(httpC);
    } catch (Throwable t) {
      printLogs("starting the cluster");
      throw t;
    }
  }

  /**
   * A web node that comes up before any view source forms the cluster alone, answers 503 saying
   * the parts are not running, and becomes ready once the views node joins its cluster.
   */
  private void aWebNodeStartedFirstIsNotReadyUntilTheViewSourceJoins() throws IOException {
    webB = startNode("web-b", "web", 0);
    webB.awaitJoined(1);
    httpB = webB.awaitHttpPort();
    HttpResponse<Buffer> alone = Http.get(vertx, httpB, "/health");
    assertThat(alone.statusCode()).isEqualTo(503);
    JsonObject health = alone.bodyAsJsonObject();
    assertThat(health.getJsonObject("views").getBoolean("live")).isFalse();
    assertThat(health.getJsonObject("views").getString("detail")).isEqualTo("not running");
    // ingest is neither this node's role nor in the cluster yet: not judged (views is: web needs it)
    assertThat(health.getJsonObject("ingest").getBoolean("judged")).isFalse();
    assertThat(health.getJsonArray("judged")).containsExactly("views", "web");

    views = startNode("views", "ingest,views", 1);
    views.awaitJoined(2);
    awaitReady(httpB);
    // The views node's ingest answers its status too (once deployed, after the view source): judged from then on.
    Wait.until("web-b judges the views node's ingest", LONG, () -> {
      HttpResponse<Buffer> r = Http.get(vertx, httpB, "/health");
      return r.statusCode() == 200 && r.bodyAsJsonObject().getJsonArray("judged").equals(new JsonArray().add("ingest").add("views").add("web"));
    });
  }

  @AfterEach
  void closeSubscribers() {
    subscribers.forEach(StreamWatcher::close);
    subscribers.clear();
    if (feedPaused) {
      resumeFeed(); // a test that failed while the feed was paused: the next ones need it
    }
  }

  @AfterAll
  void stopCluster() throws Exception {
    subscribers.forEach(StreamWatcher::close);
    for (JarProcess n : nodes) {
      n.stop();
    }
    if (replay != null) {
      Wait.on(replay.close());
    }
    if (vertx != null) {
      Wait.on(vertx.close());
    }
    if (work != null) {
      try (Stream<Path> files = Files.walk(work)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  @Test
  @Order(1)
  void clientsOnTwoWebNodesSeeTheSameBatchesAndEndOnTheRestSnapshot() {
    Map<String, StreamWatcher> onB = subscribe("web-b", httpB);
    Map<String, StreamWatcher> onC = subscribe("web-c", httpC);
    awaitFlow(onB, onC);

    pauseFeed();
    awaitAgreement(Map.of("web-b", httpB, "web-c", httpC), List.of(onB, onC));
    for (String view : VIEWS) {
      assertSameBatches(onB.get(view), onC.get(view), view.equals("counter") ? 10 : 1);
    }
    // One event-bus consumer per view instance on a web node, whatever the number of browsers: here the
    // three replicas and the views.started consumer, nothing else (a views.<v>.snapshot handler or a
    // consumer per client would add to it).
    assertThat(busHandlers(httpB)).isEqualTo(4);
    assertThat(busHandlers(httpC)).isEqualTo(4);
    resumeFeed();
  }

  @Test
  @Order(2)
  void aWebNodeStartedLateConverges() throws Exception {
    Map<String, StreamWatcher> onB = subscribe("web-b", httpB);
    JarProcess late = startNode("web-d", "web", 3);
    int hazelcastD = late.awaitJoined(4);
    int httpD = late.awaitHttpPort();
    awaitReady(httpD);
    Map<String, StreamWatcher> onD = subscribe("web-d", httpD);
    awaitFlow(onB, onD);

    pauseFeed();
    awaitAgreement(Map.of("web-b", httpB, "web-d", httpD), List.of(onB, onD));
    for (String view : VIEWS) {
      assertSameBatches(onB.get(view), onD.get(view), view.equals("counter") ? 10 : 1);
    }
    resumeFeed();

    late.stop();
    nodes.remove(late);
    views.awaitLog(Pattern.compile("Cluster member left: \\[127\\.0\\.0\\.1]:" + hazelcastD), LONG);
  }

  @Test
  @Order(3)
  void aSecondViewSourceIsRefusedWhileOneRuns() throws Exception {
    JarProcess twin = startNode("views-twin", "ingest,views", 3, "twin-data");
    int code = twin.exitCode(LONG);
    nodes.remove(twin);
    assertThat(code).as(twin.output()).isNotZero();
    assertThat(twin.output()).contains("another view source already runs in this cluster (it says: live: ");
    awaitReady(httpB);
  }

  @Test
  @Order(4)
  void webNodesTakeTheResetSnapshotOfARestartedViewSource() throws Exception {
    double reopenedB = missedReopens(httpB);
    double reopenedC = missedReopens(httpC);
    Map<String, StreamWatcher> onB = subscribe("web-b", httpB);
    Map<String, StreamWatcher> onC = subscribe("web-c", httpC);
    awaitFlow(onB, onC);

    views.stop();
    nodes.remove(views);
    awaitHealth(httpB, 503, "not running");
    assertSnapshots(onB, httpB, 1, reopenedB);
    assertSnapshots(onC, httpC, 1, reopenedC);

    views = startNode("views-again", "ingest,views", 1);
    views.awaitJoined(3);
    for (StreamWatcher s : all(onB, onC)) {
      Wait.until(s + " gets the restarted source's snapshot", LONG, () -> s.snapshots() >= 2, s::toString);
    }
    awaitReady(httpB);
    awaitReady(httpC);
    awaitFlow(onB, onC);

    pauseFeed();
    awaitAgreement(Map.of("web-b", httpB, "web-c", httpC), List.of(onB, onC));
    for (String view : VIEWS) {
      assertSameBatches(onB.get(view), onC.get(view), 1);
    }
    for (StreamWatcher s : all(onB, onC)) {
      assertThat(s.diverged()).as(s.toString()).isFalse();
    }
    resumeFeed();
  }

  @Test
  @Order(5)
  void killingOneWebNodeLeavesTheOtherServing() throws Exception {
    double reopenedB = missedReopens(httpB);
    Map<String, StreamWatcher> onB = subscribe("web-b", httpB);
    Map<String, StreamWatcher> onC = subscribe("web-c", httpC);
    awaitFlow(onB, onC);

    long killed = System.nanoTime();
    webC.kill();
    nodes.remove(webC);
    int killedAt = onB.get("counter").batches();
    views.awaitLog(Pattern.compile("Cluster member left: \\[127\\.0\\.0\\.1]:" + hazelcastC), LONG);
    System.out.printf("ClusterIT: the views node dropped the killed web-c (and its consumers) within %d ms%n",
      (System.nanoTime() - killed) / 1_000_000);
    StreamWatcher counter = onB.get("counter");
    Wait.until("web-b's clients keep receiving batches after web-c died", LONG,
      () -> counter.batches() >= killedAt + 20, counter::toString);
    awaitHealth(httpB, 200, "status");
    for (StreamWatcher s : onC.values()) {
      Wait.until(s + " sees its socket closed", LONG, s::closed, s::toString);
    }

    pauseFeed();
    awaitAgreement(Map.of("web-b", httpB), List.of(onB));
    for (StreamWatcher s : onB.values()) {
      assertThat(s.diverged()).as(s.toString()).isFalse();
    }
    assertSnapshots(onB, httpB, 1, reopenedB);
    resumeFeed();
  }

  // --- the cluster

  private JarProcess startNode(String name, String roles, int portIndex) throws IOException {
    return startNode(name, roles, portIndex, roles.contains("views") ? "views-data" : name + "-data");
  }

  private JarProcess startNode(String name, String roles, int portIndex, String dataDir) throws IOException {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("WIKIRECENT_ROLES", roles);
    env.put("WIKIRECENT_HTTP_PORT", "0");
    env.put("WIKIRECENT_CLUSTER_NAME", run);
    env.put("WIKIRECENT_CLUSTER_HOST", "127.0.0.1");
    env.put("WIKIRECENT_CLUSTER_PORT", String.valueOf(hazelcastPorts[portIndex]));
    StringBuilder members = new StringBuilder();
    for (int p : hazelcastPorts) {
      members.append(members.length() == 0 ? "" : ",").append("127.0.0.1:").append(p);
    }
    env.put("WIKIRECENT_CLUSTER_MEMBERS", members.toString());
    env.put("WIKIRECENT_DATA_DIR", work.resolve(dataDir).toString());
    env.put("WIKIRECENT_STREAM_URL", replay.url());
    env.put("WIKIRECENT_INGEST_BACKOFF_MAX_MILLIS", "1000"); // back quickly when the feed resumes
    // A node whose subscription the cluster loses notices within two keep-alives and starts over from a snapshot.
    env.put("WIKIRECENT_VIEWS_KEEP_ALIVE_MILLIS", "1000");
    JarProcess n = JarProcess.start(name, logs, work.resolve(name), env, JarProcess.SMALL_JVM, "-cluster");
    nodes.add(n);
    return n;
  }

  private void startReplay(int port) {
    replay = Wait.on(ReplayServer.start(vertx, ReplayOptions.parse(new String[]{
      "--port", String.valueOf(port), "--rate", String.valueOf(RATE), "--loop"})));
    replayPort = replay.port();
  }

  /** Stops the feed: ingest loses its stream and retries, the pipeline comes to rest. */
  private void pauseFeed() {
    Wait.on(replay.close());
    feedPaused = true;
  }

  private void resumeFeed() {
    startReplay(replayPort);
    feedPaused = false;
  }

  private Path dataFile() {
    return work.resolve("views-data").resolve("recentchanges");
  }

  // --- what clients and the REST API see

  private Map<String, StreamWatcher> subscribe(String node, int port) {
    Map<String, StreamWatcher> out = new LinkedHashMap<>();
    for (String view : VIEWS) {
      StreamWatcher s = StreamWatcher.connect(vertx, node, port, view);
      subscribers.add(s);
      out.put(view, s);
    }
    return out;
  }

  @SafeVarargs
  private static List<StreamWatcher> all(Map<String, StreamWatcher>... groups) {
    List<StreamWatcher> out = new ArrayList<>();
    for (Map<String, StreamWatcher> g : groups) {
      out.addAll(g.values());
    }
    return out;
  }

  /**
   * Every client has its snapshot and a few batches after its latest one (a node that lost its subscription
   * starts its clients over from a snapshot): the feed is flowing through the cluster.
   */
  @SafeVarargs
  private void awaitFlow(Map<String, StreamWatcher>... groups) {
    for (StreamWatcher s : all(groups)) {
      int wanted = s.view().equals("counter") ? 100 : 20; // a few seconds of the feed
      Wait.until(s + " receives " + wanted + " batches", LONG, () -> s.snapshots() >= 1 && s.batchesSinceLastSnapshot() >= wanted, s::toString);
    }
  }

  /**
   * Waits until, for every view, all the given web nodes answer {@code /api/views/<view>} with the
   * same state at the same timestamp, every client holds exactly that, and the counter equals the
   * records in the file (counted here, from the file itself).
   */
  private void awaitAgreement(Map<String, Integer> webNodes, List<Map<String, StreamWatcher>> groups) {
    AtomicReference<String> why = new AtomicReference<>("not checked yet");
    Supplier<String> state = why::get;
    Wait.until("the web nodes, their clients and the file agree", LONG, () -> {
      why.set(disagreement(webNodes, groups));
      return why.get() == null;
    }, state);
  }

  private String disagreement(Map<String, Integer> webNodes, List<Map<String, StreamWatcher>> groups) {
    long records = records();
    for (String view : VIEWS) {
      JsonObject reference = null;
      String referenceNode = null;
      for (Map.Entry<String, Integer> node : webNodes.entrySet()) {
        HttpResponse<Buffer> r = Http.get(vertx, node.getValue(), "/api/views/" + view);
        if (r.statusCode() != 200) {
          return node.getKey() + " answers " + r.statusCode() + " for " + view;
        }
        JsonObject snap = r.bodyAsJsonObject();
        if (reference == null) {
          reference = snap;
          referenceNode = node.getKey();
        } else if (ViewMessage.timestamp(snap) != ViewMessage.timestamp(reference) || !rows(snap).equals(rows(reference))) {
          return view + " differs: " + referenceNode + " at " + ViewMessage.timestamp(reference) + ", "
            + node.getKey() + " at " + ViewMessage.timestamp(snap);
        }
      }
      if (view.equals("counter")) {
        long count = reference.getJsonArray(ViewMessage.INSERTED).getJsonArray(0).getLong(0);
        if (count != records) {
          return "counter says " + count + ", the file holds " + records + " records";
        }
      }
      for (Map<String, StreamWatcher> group : groups) {
        StreamWatcher s = group.get(view);
        if (s.timestamp() != ViewMessage.timestamp(reference) || !s.rows().equals(rows(reference))) {
          return s + " is not at " + referenceNode + "'s " + view + " of " + ViewMessage.timestamp(reference);
        }
      }
    }
    return null;
  }

  /** The rows of a snapshot in the client's normal form and order. */
  private static JsonArray rows(JsonObject snapshot) {
    ViewTable t = new ViewTable(snapshot.getString(ViewMessage.VIEW));
    t.apply(snapshot);
    return t.rows();
  }

  /** Records in the views node's file: its {@code data:} lines, counted without the engine. */
  private long records() {
    try (Stream<String> lines = Files.lines(dataFile(), StandardCharsets.UTF_8)) {
      return lines.filter(l -> l.startsWith("data: ")).count();
    } catch (IOException e) {
      return -1;
    }
  }

  /**
   * Both clients hold the same batches from the later of their latest snapshots up to where both are (a node
   * that lost its subscription and healed restarted its clients from a snapshot; from there on it sends what
   * every node sends).
   */
  private static void assertSameBatches(StreamWatcher a, StreamWatcher b, int atLeast) {
    long from = Math.max(a.unmergedFrom(), b.unmergedFrom());
    long to = Math.min(a.timestamp(), b.timestamp());
    List<JsonObject> seenByA = a.batchesBetween(from, to);
    List<JsonObject> seenByB = b.batchesBetween(from, to);
    assertThat(seenByA).as("%s and %s between %d and %d", a, b, from, to).hasSizeGreaterThanOrEqualTo(atLeast);
    assertThat(seenByB).as("%s vs %s", b, a).isEqualTo(seenByA);
    System.out.printf("ClusterIT: %s: %d identical batches on %s and %s between %d and %d%n", a.view(), seenByA.size(), a.node(), b.node(), from, to);
  }

  private void awaitReady(int port) {
    awaitHealth(port, 200, "status");
  }

  private void awaitHealth(int port, int status, String mentions) {
    AtomicReference<String> last = new AtomicReference<>("");
    Wait.until("/health on " + port + " is " + status, LONG, () -> {
      HttpResponse<Buffer> r = Http.get(vertx, port, "/health");
      last.set(r.statusCode() + " " + r.bodyAsString());
      return r.statusCode() == status && r.bodyAsString().contains(mentions);
    }, last::get);
  }

  /** The node's replicas reopened so far because no batches reached it (it lost its subscription and healed). */
  private double missedReopens(int port) {
    return metric(port, "wikirecent_web_replicas_reopened_total{reason=\"missed\"}");
  }

  /**
   * Each client (one per view, all on the node at {@code port}) got {@code n} snapshots: no reset, but for those the
   * heals since the step began explain. {@code reopenedBefore} is the node's {@link #missedReopens} read before the
   * clients subscribed; each reopen since restarts the clients of one view from one fresh snapshot, so between them
   * the clients got at most that many snapshots beyond {@code n}. The clients are read before the count: a reopen
   * whose snapshot a client already got is in it.
   */
  private void assertSnapshots(Map<String, StreamWatcher> clients, int port, int n, double reopenedBefore) {
    Map<String, Integer> got = new LinkedHashMap<>();
    for (StreamWatcher s : clients.values()) {
      got.put(s.toString(), s.snapshots());
    }
    long reopened = Math.round(missedReopens(port) - reopenedBefore);
    int beyond = 0;
    for (Map.Entry<String, Integer> e : got.entrySet()) {
      assertThat(e.getValue()).as(e.getKey() + ": its snapshot").isGreaterThanOrEqualTo(n);
      beyond += e.getValue() - n;
    }
    if (reopened > 0) {
      System.out.printf("ClusterIT: the node on %d reopened %d replicas after missing batches during the step; its clients: %s%n",
        port, reopened, got.keySet());
    }
    assertThat(beyond).as("snapshots beyond %d each of %s: no reset but the %d the node's heals during the step explain",
      n, got.keySet(), reopened).isLessThanOrEqualTo((int) reopened);
  }

  /** One sample's value from a node's /metrics (it must be there). */
  private double metric(int port, String sample) {
    String metrics = Http.get(vertx, port, "/metrics").bodyAsString();
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(sample) + " (\\S+)$").matcher(metrics);
    assertThat(m.find()).as(sample + " in /metrics").isTrue();
    return Double.parseDouble(m.group(1));
  }

  /** {@code vertx_eventbus_handlers} from a web node's /metrics: every event-bus consumer on that node. */
  private double busHandlers(int port) {
    return metric(port, "vertx_eventbus_handlers");
  }

  private void printLogs(String what) {
    StringBuilder sb = new StringBuilder("\n===== ClusterIT: " + what + " failed; logs in " + logs + "\n");
    for (Path log : Optional.ofNullable(logs.toFile().listFiles()).map(List::of).orElse(List.of()).stream().map(f -> f.toPath()).sorted().toList()) {
      try {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        sb.append("----- ").append(log.getFileName()).append(" (last 150 of ").append(lines.size()).append(" lines)\n");
        lines.subList(Math.max(0, lines.size() - 150), lines.size()).forEach(l -> sb.append(l).append('\n'));
      } catch (IOException e) {
        sb.append("----- ").append(log).append(": ").append(e).append('\n');
      }
    }
    System.out.println(sb);
  }
}
