package wikirecent.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import wikirecent.bus.Addresses;
import wikirecent.bus.ViewMessage;
import wikirecent.config.Config;
import wikirecent.records.RecordFormat;
import wikirecent.testsupport.Child;

import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.zip.GZIPInputStream;

/**
 * 7. Snapshots. The real jar (roles {@code views,web}) over a file in which every one of N user names
 * has edited, with events appended at the live rate while it is measured, so {@code user_edits} has a
 * new state every few tens of milliseconds. Rounds of C concurrent {@code GET /api/views/user_edits} (as
 * they are, then with {@code Accept-Encoding: gzip}), then rounds of C new {@code /api/stream/user_edits}
 * clients, then rounds of C new SockJS sessions (the page's transport) following {@code views.user_edits}
 * as the page does, each timed to its whole answer (the snapshot, for a stream client; the reply to the
 * snapshot request, for a session); the server's CPU time per answer says whether it sorts or encodes per
 * request or once per state.
 */
final class SnapshotScenario {

  private static final String HOST = "127.0.0.1";
  private static final String VIEW = "user_edits";
  private static final long LIVE_PERIOD_MILLIS = 25;
  /** How a snapshot's message ends inside a SockJS frame (the flag is its last member). */
  private static final String PUSHED_SNAPSHOT = "\\\"snapshot\\\":true}";

  private SnapshotScenario() {
  }

  static Report.Table run(BenchOptions o, Path tmp) throws Exception {
    Report.Table t = new Report.Table("snapshots",
      "7. Snapshots: C concurrent answers of user_edits with N users while it changes at the live rate (a child JVM of the app,"
        + " roles views,web)")
      .column("answer", "answer", "%s")
      .column("users", "users", "%,d")
      .column("mbPerAnswer", "MiB each", "%.2f")
      .column("concurrent", "concurrent", "%,d")
      .column("answers", "answers", "%,d")
      .column("p50Ms", "p50 ms", "%,.0f")
      .column("p99Ms", "p99 ms", "%,.0f")
      .column("maxMs", "max ms", "%,.0f")
      .column("inflateMs", "inflate ms", "%.1f")
      .column("mbPerSecond", "MiB/s", "%,.0f")
      .column("states", "states", "%,d")
      .column("serverCpuMsPerAnswer", "server CPU ms/answer", "%.2f")
      .column("resent", "snapshots resent", "%,d")
      .column("dropped", "frames dropped", "%,d")
      .column("failed", "failed", "%,d")
      .column("bystanderP99Ms", "counter p99 ms", "%,.0f")
      .column("bystanderMaxMs", "counter max ms", "%,.0f")
      .column("followerP99Ms", VIEW + " p99 ms", "%,.0f")
      .column("followerMaxMs", VIEW + " max ms", "%,.0f");
    Path data = Files.createDirectories(tmp.resolve("data"));
    Path file = data.resolve(Config.FILE_NAME);
    LargeFileGenerator users = new LargeFileGenerator(o.snapshotUsers, 11);
    long events = writeHistory(file, users, o.snapshotUsers);
    int port = Parts.freePort();
    Map<String, String> env = Map.of(
      "WIKIRECENT_HTTP_PORT", String.valueOf(port),
      "WIKIRECENT_DATA_DIR", data.toString(),
      "WIKIRECENT_ROLES", "views,web",
      "WIKIRECENT_ENGINE_POLL_MILLIS", String.valueOf(LIVE_PERIOD_MILLIS)); // no ingest here: the engine finds appends by polling
    Vertx vertx = Vertx.vertx();
    AtomicBoolean live = new AtomicBoolean(true);
    Thread feed = null;
    try (Child server = Child.start("server", Parts.appCommand(), env, tmp.resolve("server.log"), false)) {
      String base = "http://" + HOST + ":" + port;
      Parts.awaitApp(server, base, Duration.ofMinutes(3));
      feed = new Thread(() -> appendLive(file, users, events, live), "snapshot-live-feed");
      feed.setDaemon(true);
      feed.start();
      int c = o.snapshotClients;
      HttpClient http = vertx.createHttpClient(new HttpClientOptions().setDefaultHost(HOST).setDefaultPort(port),
        new PoolOptions().setHttp1MaxSize(c));
      WebSocketClient ws = vertx.createWebSocketClient(new WebSocketClientOptions().setDefaultHost(HOST).setDefaultPort(port)
        .setMaxConnections(c).setMaxMessageSize(256 << 20));
      // Every event changes both views in one engine batch: their batches have the same timestamps, learnt from either.
      BatchPairs counterPairs = new BatchPairs();
      try (Bystander counter = Bystander.connect(port, "counter", counterPairs);
           Bystander follower = Bystander.connect(port, VIEW, counterPairs.sharingBatches())) {
        Bystander[] watch = {counter, follower};
        measure(t, "GET /api/views/" + VIEW, () -> get(http, null), c, o.snapshotRounds, server.pid(), base, watch);
        measure(t, "GET /api/views/" + VIEW + ", gzip", () -> get(http, "gzip"), c, o.snapshotRounds, server.pid(), base, watch);
        measure(t, "stream /api/stream/" + VIEW, () -> snapshot(ws), c, o.snapshotRounds, server.pid(), base, watch);
        measure(t, "SockJS " + Addresses.snapshot(VIEW), () -> sockJsSnapshot(ws), c, o.snapshotRounds, server.pid(), base, watch);
      }
    } finally {
      live.set(false);
      if (feed != null) {
        feed.join(5_000);
      }
      Parts.close(vertx);
    }
    t.note("file: every one of the " + String.format("%,d", o.snapshotUsers) + " user names once, then four times as many events"
      + " with users drawn bots-then-Zipf from the same names (compact records: the user alone); users = rows of the answer");
    t.note("live: one event appended every " + LIVE_PERIOD_MILLIS + " ms while measuring, the engine polling the file every "
      + LIVE_PERIOD_MILLIS + " ms, so user_edits changes ~" + (1000 / LIVE_PERIOD_MILLIS) + " times a second; states: how many"
      + " distinct timestamps the measured answers carried");
    t.note("each round starts C answers at once (one connection each) and waits for all; a warm-up round first; latency = from"
      + " the request (or the WebSocket's connect) to the last byte of the answer (a stream client's first message, its"
      + " snapshot; a SockJS session's reply to its snapshot request, asked right after registering on the view in one message"
      + " on SockJS's WebSocket transport, or a snapshot pushed on the view's address, which the page takes too); MiB/s = every"
      + " answer's bytes over the rounds' wall time; server CPU = the server process's CPU time over the rounds / answers;"
      + " snapshots resent, frames dropped: the server's counters over the rounds (a client whose queue filled gets a fresh"
      + " snapshot once drained); gzip: with Accept-Encoding: gzip, MiB = the bytes as sent, which this client does not"
      + " inflate (a client elsewhere does that on its own CPU); inflate ms: what inflating one of them took this client (median of 5)");
    t.note("counter p99, max: one more client, on /api/stream/counter all along, timing each batch from its timestamp (the"
      + " engine's clock, the same machine's) to the arrival of the frame that delivered it over the rounds: what the answers"
      + " cost everyone else on the node; " + VIEW + " p99, max: a client of " + VIEW + " itself, connected before the rounds,"
      + " timing its batches alike: what the view's own followers wait while its snapshot is built for the answers. A crowded"
      + " node merges the batches a client lacks into one frame stamped with the newest, so every batch of a frame is timed"
      + " from its own timestamp, learnt from either client's frames where it was the newest (every event changes both views"
      + " in one engine batch); a batch newest in neither is not timed (JSON: counterBatchesPublished, the engine's counter"
      + " batches over the rounds, against bystanderBatches; bystanderNewestP99Ms times each counter frame by its newest alone)");
    return t;
  }

  /** Every user once, then four times as many events from the same names; the records' offsets count from 0. */
  private static long writeHistory(Path file, LargeFileGenerator users, int n) throws IOException {
    long i = 0;
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
      for (int k = 0; k < n; k++) {
        out.write(record(i++, users.nameAt(k)));
      }
      for (long z = 0; z < 4L * n; z++) {
        out.write(record(i++, users.nextUser()));
      }
    }
    return i;
  }

  private static byte[] record(long offset, String user) {
    return RecordFormat.record("[{\"offset\":" + offset + "}]", user == null ? "{}" : "{\"user\":" + Json.encode(user) + "}");
  }

  /** Appends one event every period until told to stop (whole records, one write each). */
  private static void appendLive(Path file, LargeFileGenerator users, long from, AtomicBoolean live) {
    try (OutputStream out = new FileOutputStream(file.toFile(), true)) {
      for (long i = from; live.get(); i++) {
        out.write(record(i, users.nextUser()));
        out.flush();
        Thread.sleep(LIVE_PERIOD_MILLIS);
      }
    } catch (IOException e) {
      System.err.println("snapshots: the live feed stopped: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A warm-up round, then {@code rounds} measured rounds of {@code c} answers started at once. */
  private static void measure(Report.Table t, String label, Supplier<Future<Buffer>> answer, int c, int rounds,
                              long serverPid, String base, Bystander[] watch) throws Exception {
    Answers warmUp = new Answers();
    round(answer, c, warmUp);
    Buffer sample = Parts.await(answer.get(), Duration.ofMinutes(1));
    double inflateMs = inflateMillis(sample);
    JsonObject one = message(sample);
    if (!ViewMessage.isSnapshot(one)) {
      throw new IllegalStateException(label + " answered something other than a snapshot: " + one.encode().substring(0, 200));
    }
    int users = one.getJsonArray(ViewMessage.INSERTED).size();
    Answers a = new Answers();
    String before = Parts.httpBody(base + "/metrics");
    long cpu0 = Machine.processCpuNanos(serverPid);
    long t0 = System.nanoTime();
    for (Bystander b : watch) {
      b.begin();
    }
    for (int r = 0; r < rounds; r++) {
      round(answer, c, a);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    List<long[]> counterFrames = watch[0].takeFrames();
    List<long[]> followerFrames = watch[1].takeFrames();
    Histogram othersNewest = watch[0].newestCopy();
    long cpu = Machine.processCpuNanos(serverPid) - cpu0;
    String after = Parts.httpBody(base + "/metrics");
    // expanded once the scrape is done, so a batch whose only newest frame was in flight as the rounds ended is learnt
    Histogram others = new Histogram(3);
    BatchPairs.Expansion counterPairs = watch[0].pairs.expand(counterFrames, (batch, receipt) -> others.recordValue(Math.max(0, receipt - batch)));
    Histogram followers = new Histogram(3);
    watch[1].pairs.expand(followerFrames, (batch, receipt) -> followers.recordValue(Math.max(0, receipt - batch)));
    long n = Math.max(1, a.ms.getTotalCount());
    t.row("answer", label, "users", users, "mbPerAnswer", a.bytes.get() / 1048576.0 / n, "concurrent", c,
      "answers", a.ms.getTotalCount(), "p50Ms", (double) a.ms.getValueAtPercentile(50), "p99Ms", (double) a.ms.getValueAtPercentile(99),
      "maxMs", (double) a.ms.getMaxValue(), "inflateMs", inflateMs, "mbPerSecond", a.bytes.get() / 1048576.0 / seconds, "states", a.states.size(),
      "serverCpuMsPerAnswer", cpu / 1e6 / n, "resent", delta(before, after, "wikirecent_web_snapshots_resent_total"),
      "dropped", delta(before, after, "wikirecent_web_frames_dropped_total"), "failed", a.failed.get(), "rounds", rounds,
      "warmUpFailed", warmUp.failed.get(), "bystanderP99Ms", (double) others.getValueAtPercentile(99),
      "bystanderMaxMs", (double) others.getMaxValue(), "bystanderBatches", others.getTotalCount(),
      "bystanderFrames", counterPairs.frames(), "bystanderNewestP99Ms", (double) othersNewest.getValueAtPercentile(99),
      "bystanderMissingAtMost", counterPairs.unaccounted(),
      "counterBatchesPublished", FanOutScenario.metric(after, PUBLISHED, COUNTER_LABEL) - FanOutScenario.metric(before, PUBLISHED, COUNTER_LABEL),
      "followerP99Ms", (double) followers.getValueAtPercentile(99), "followerMaxMs", (double) followers.getMaxValue(),
      "followerBatches", followers.getTotalCount());
  }

  private static final String PUBLISHED = "wikirecent_views_batches_published_total";
  private static final String COUNTER_LABEL = "view=\"counter\"";

  /**
   * A client connected all along: how long its batches take while the answers are made and sent. On an event loop of
   * its own, so it does not wait behind the answers' clients reading.
   */
  private static final class Bystander implements AutoCloseable {
    /** Each batch frame timed by its newest batch alone (ms), as rounds 10-14 timed the counter. */
    final Histogram newest = new ConcurrentHistogram(3);
    final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    /** Held: Vert.x closes a client nothing references any more, and its sockets with it. */
    WebSocketClient client;
    volatile String closed;
    String view;
    /** Its batch frames, each from the state it held to the frame's (receipt in ms), and the batches learnt. */
    BatchPairs pairs;
    /** The state it holds (the last frame's or snapshot's timestamp; the counter's count, -1 for another view): its event loop's. */
    long last = -1;
    long lastCount = -1;

    static Bystander connect(int port, String view, BatchPairs pairs) throws Exception {
      Bystander b = new Bystander();
      b.view = view;
      b.pairs = pairs;
      b.client = b.vertx.createWebSocketClient(new WebSocketClientOptions().setDefaultHost(HOST).setDefaultPort(port)
        .setMaxMessageSize(256 << 20));
      Parts.await(b.client.connect("/api/stream/" + view).onSuccess(socket -> {
        socket.textMessageHandler(text -> b.received(new JsonObject(text), System.currentTimeMillis()));
        socket.closeHandler(v -> b.closed = "closed: " + socket.closeStatusCode() + " " + socket.closeReason());
      }), Duration.ofMinutes(1));
      return b;
    }

    private void received(JsonObject m, long now) {
      long ts = ViewMessage.timestamp(m);
      long count = "counter".equals(view) ? Parts.count(m) : -1;
      if (!ViewMessage.isSnapshot(m) && ts > last) {
        newest.recordValue(Math.max(0, now - ts));
        pairs.received(last, ts, now, ClientMode.eventsBetween(lastCount, count));
      }
      last = Math.max(last, ts);
      lastCount = Math.max(lastCount, count);
    }

    /** Starts a row: fails if the socket closed (a figure of no batches would mislead); drops what came before. */
    void begin() {
      checkOpen();
      pairs.dropFrames();
      newest.reset();
    }

    /** Its batch frames since {@link #begin}, for {@link BatchPairs#expand(List, BatchPairs.Sink)}; fails if the socket closed. */
    List<long[]> takeFrames() {
      checkOpen();
      return pairs.takeFrames();
    }

    /** Its frames since {@link #begin}, each timed by its newest batch. */
    Histogram newestCopy() {
      return newest.copy();
    }

    private void checkOpen() {
      if (closed != null) {
        throw new IllegalStateException("the " + view + " client was " + closed);
      }
    }

    @Override
    public void close() {
      Parts.close(vertx);
    }
  }

  /** What a counter did between two scrapes; -1 if either did not answer (not a total read as a count). */
  private static long delta(String before, String after, String metric) {
    long a = FanOutScenario.metric(after, metric);
    long b = FanOutScenario.metric(before, metric);
    return a < 0 || b < 0 ? -1 : a - b;
  }

  /** What the answers of some rounds came to; added to from the client's event loops. */
  private static final class Answers {
    final Histogram ms = new ConcurrentHistogram(3);
    final AtomicLong bytes = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    final Set<Long> states = ConcurrentHashMap.newKeySet();
  }

  private static void round(Supplier<Future<Buffer>> answer, int c, Answers into) throws Exception {
    List<Future<?>> all = new ArrayList<>();
    for (int i = 0; i < c; i++) {
      long start = System.nanoTime();
      all.add(answer.get().andThen(ar -> {
        if (ar.failed()) {
          into.failed.incrementAndGet();
          return;
        }
        into.ms.recordValue(Math.max(1, Math.round((System.nanoTime() - start) / 1e6)));
        into.bytes.addAndGet(ar.result().length());
        into.states.add(timestamp(ar.result()));
      }).recover(e -> Future.succeededFuture()));
    }
    Parts.await(Future.join(all), Duration.ofMinutes(5));
  }

  /** The view message an answer holds: the answer itself, or the body of the bridge reply in a SockJS frame. */
  static JsonObject message(Buffer sent) {
    Buffer answer = gzipped(sent) ? inflated(sent, Integer.MAX_VALUE) : sent;
    if (answer.length() == 0 || answer.getByte(0) != 'a') {
      return new JsonObject(answer);
    }
    return new JsonObject(new JsonArray(answer.slice(1, answer.length())).getString(0)).getJsonObject("body");
  }

  /** The answer's timestamp, read from its head (unescaped, if it is inside a SockJS frame) without parsing the rows. */
  static long timestamp(Buffer sent) {
    Buffer body = gzipped(sent) ? inflated(sent, 400) : sent;
    String head = body.getString(0, Math.min(body.length(), 400)).replace("\\\"", "\"");
    int at = head.indexOf("\"timestamp\":");
    if (at < 0) {
      return -1;
    }
    int from = at + "\"timestamp\":".length();
    int to = from;
    while (to < head.length() && Character.isDigit(head.charAt(to))) {
      to++;
    }
    return to == from ? -1 : Long.parseLong(head.substring(from, to));
  }

  /** A GET, taking the answer as sent: gzipped if the server gzips it for {@code acceptEncoding} (not inflated here). */
  /** What inflating a gzipped answer costs a client, on this box (the median of five); 0 for an answer sent plain. */
  private static double inflateMillis(Buffer answer) {
    if (!gzipped(answer)) {
      return 0;
    }
    long[] nanos = new long[5];
    for (int i = 0; i < nanos.length; i++) {
      long t0 = System.nanoTime();
      inflated(answer, Integer.MAX_VALUE);
      nanos[i] = System.nanoTime() - t0;
    }
    Arrays.sort(nanos);
    return nanos[nanos.length / 2] / 1e6;
  }

  private static boolean gzipped(Buffer b) {
    return b.length() > 2 && (b.getByte(0) & 0xff) == 0x1f && (b.getByte(1) & 0xff) == 0x8b;
  }

  /** Up to {@code max} bytes of a gzipped answer, inflated. */
  private static Buffer inflated(Buffer gzipped, int max) {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzipped.getBytes()))) {
      return Buffer.buffer(in.readNBytes(max));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Future<Buffer> get(HttpClient http, String acceptEncoding) {
    return http.request(HttpMethod.GET, "/api/views/" + VIEW)
      .compose(req -> acceptEncoding == null ? req.send() : req.putHeader("Accept-Encoding", acceptEncoding).send())
      .compose(resp -> resp.statusCode() == 200 ? resp.body()
        : Future.failedFuture("GET answered " + resp.statusCode()));
  }

  /** A new stream client: connects, takes its first message (the snapshot) and leaves. */
  private static Future<Buffer> snapshot(WebSocketClient client) {
    return client.connect("/api/stream/" + VIEW).compose(socket -> {
      Promise<Buffer> first = Promise.promise();
      socket.binaryMessageHandler(b -> first.tryFail("a binary message"));
      socket.textMessageHandler(text -> first.tryComplete(Buffer.buffer(text)));
      socket.closeHandler(v -> first.tryFail("closed before its snapshot"));
      return first.future().andThen(ar -> socket.close());
    });
  }

  /**
   * A new SockJS session on the WebSocket transport, as the page opens one: registers on the view and asks for its
   * snapshot in one message, takes the reply, or a snapshot pushed on the view's address, as the page does (batches
   * may come first), and leaves.
   */
  private static Future<Buffer> sockJsSnapshot(WebSocketClient client) {
    String reply = UUID.randomUUID().toString(); // as the page's: at most 36 characters are taken
    String session = reply.replace("-", "");
    String follow = new JsonArray()
      .add(new JsonObject().put("type", "register").put("address", Addresses.view(VIEW)).encode())
      .add(new JsonObject().put("type", "send").put("address", Addresses.snapshot(VIEW)).put("replyAddress", reply).encode())
      .encode();
    return client.connect("/eventbus/" + ThreadLocalRandom.current().nextInt(1000) + "/" + session + "/websocket").compose(socket -> {
      Promise<Buffer> answer = Promise.promise();
      socket.binaryMessageHandler(b -> answer.tryFail("a binary message"));
      socket.textMessageHandler(text -> {
        String head = text.substring(0, Math.min(text.length(), 200));
        if (text.equals("o")) {
          socket.writeTextMessage(follow);
        } else if (head.startsWith("a[") && head.contains(reply)) {
          if (head.contains("\\\"type\\\":\\\"err\\\"")) {
            answer.tryFail("refused: " + head);
          } else {
            answer.tryComplete(Buffer.buffer(text));
          }
        } else if (head.startsWith("a[") && text.substring(Math.max(0, text.length() - 40)).contains(PUSHED_SNAPSHOT)) {
          answer.tryComplete(Buffer.buffer(text));
        }
      });
      socket.closeHandler(v -> answer.tryFail("closed before the reply"));
      return answer.future().andThen(ar -> socket.close());
    });
  }
}
