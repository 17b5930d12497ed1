package wikirecent.engine;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.bus.Addresses;
import wikirecent.config.Config;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewParams;
import wikirecent.bus.Views;
import wikirecent.bus.ViewsStatus;
import wikirecent.testsupport.Samples;
import wikirecent.replay.Sample;
import wikirecent.testsupport.Wait;

import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The engine verticle on a real Vert.x with a real file: published batches rebuild the views, the
 * three views agree at every timestamp, snapshots and status answer, appends are picked up with
 * and without the ingest hint, restarts resume from the checkpoint, resets are announced.
 */
@ExtendWith(VertxExtension.class)
class EngineVerticleIT {

  @TempDir
  Path dir;
  private ViewsClient client;

  @AfterEach
  void closeClient() throws Exception {
    if (client != null) {
      client.close();
    }
  }

  private JsonObject config(long pollMillis) {
    return Config.load(new JsonObject()
      .put(Config.DATA_DIR, dir.toString())
      .put(Config.ENGINE_POLL_MILLIS, pollMillis)
      .put(Config.ENGINE_BATCH_MAX_BYTES, 16 * 1024), Map.of());
  }

  private static String deploy(Vertx vertx, JsonObject config) throws Exception {
    return deploy(vertx, new EngineVerticle(), config);
  }

  private static String deploy(Vertx vertx, EngineVerticle verticle, JsonObject config) throws Exception {
    return vertx.deployVerticle(verticle,
      new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER).setConfig(config)).await(60, TimeUnit.SECONDS);
  }

  private static JsonObject request(Vertx vertx, String address) throws Exception {
    return vertx.eventBus().<JsonObject>request(address, null).await(30, TimeUnit.SECONDS).body();
  }

  private Path file() {
    return dir.resolve("recentchanges");
  }

  /** Appends the lines as records in random pieces (cut anywhere), with or without the append hint. */
  private void appendInPieces(Vertx vertx, List<String> lines, int firstId, Random random, boolean hint) throws Exception {
    byte[] all = RecordFiles.recordsOf(lines, firstId);
    int at = 0;
    while (at < all.length) {
      int n = Math.min(all.length - at, 1 + random.nextInt(40_000));
      try (var out = Files.newOutputStream(file(), StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
        out.write(all, at, n);
      }
      at += n;
      if (hint) {
        vertx.eventBus().publish(Addresses.FILE_APPENDED, Files.size(file()));
      }
    }
  }

  private static List<String> withOddLines(List<String> lines) {
    List<String> out = new ArrayList<>(lines);
    Random random = new Random(7);
    for (String odd : List.of("{\"user\":null}", "not json", "[1]", "{\"user\":1e2}", "{\"user\":\"\\ud800\"}", "{}", "{\"user\":\"Ωmega\"}")) {
      out.add(random.nextInt(out.size()), odd);
    }
    return out;
  }

  private static Oracle.Expected expected(List<String> lines) {
    List<byte[]> bytes = new ArrayList<>();
    lines.forEach(l -> bytes.add(EventLines.bytes(l)));
    return Oracle.compute(bytes);
  }

  @Test
  void followsAppendsAndItsBatchesRebuildTheViews(Vertx vertx) throws Exception {
    client = new ViewsClient(vertx);
    deploy(vertx, config(60_000)); // the hint alone drives it: the poll is a minute away
    client.awaitUntil("the first snapshot", () -> client.counter() == 0);

    List<String> lines = withOddLines(Sample.lines());
    appendInPieces(vertx, lines, 0, new Random(1), true);
    Oracle.Expected expected = expected(lines);
    client.awaitUntil("all events", () -> client.matches(expected));
    assertThat(client.snapshots).isEqualTo(3);
    assertThat(client.received.size()).as("many batches, not one").isGreaterThan(20);

    for (Views v : Views.values()) {
      JsonObject snap = request(vertx, Addresses.snapshot(v.viewName()));
      assertThat(ViewMessage.isSnapshot(snap)).isTrue();
      assertThat(ViewMessage.timestamp(snap)).isGreaterThanOrEqualTo(client.timestamp(v));
      assertThat(new wikirecent.bus.ViewTable(v.viewName())).satisfies(t -> {
        t.apply(snap);
        assertThat(t.rows()).isEqualTo(client.rows(v));
      });
    }
    ViewsStatus status = ViewsStatus.fromJson(request(vertx, Addresses.STATUS_VIEWS));
    assertThat(status.live()).isTrue();
    assertThat(status.source()).isEqualTo("embedded");
    assertThat(status.detail()).startsWith("live");
    Samples metrics = Samples.of(vertx);
    assertThat(metrics.count("wikirecent_views_events_applied_total")).isEqualTo(expected.count());
    assertThat(metrics.count("wikirecent_views_events_skipped_total")).isEqualTo(2);
    assertThat(metrics.count("wikirecent_views_users")).isEqualTo(expected.userEdits().size());
    assertThat(metrics.count("wikirecent_views_file_offset_bytes")).isEqualTo(Files.size(file()));
    assertThat(metrics.count("wikirecent_views_snapshots_published_total")).as("a reset snapshot of every view's default set")
      .isEqualTo(wikirecent.bus.ViewParams.View.values().length);
    for (Views v : Views.values()) {
      assertThat(metrics.value("wikirecent_views_snapshots_published_total", "view=\"" + v.viewName() + "\"")).isEqualTo(1.0);
    }
    assertThat(metrics.value("wikirecent_views_batches_published_total", "view=\"counter\""))
      .as("a batch of the counter view for every message the client got of it after its snapshot")
      .isEqualTo(client.batches(Views.COUNTER));
    assertThat(metrics.value("wikirecent_views_up", "")).isEqualTo(1.0);
  }

  @Test
  void withoutHintsThePollPicksUpAppends(Vertx vertx) throws Exception {
    client = new ViewsClient(vertx);
    deploy(vertx, config(50));
    client.awaitUntil("the first snapshot", () -> client.counter() == 0);
    List<String> lines = Sample.lines().subList(0, 500);
    appendInPieces(vertx, lines, 0, new Random(2), false);
    Oracle.Expected expected = expected(lines);
    client.awaitUntil("all events", () -> client.matches(expected));
  }

  @Test
  void aRestartResumesFromTheCheckpointAndAnnouncesItself(Vertx vertx) throws Exception {
    List<String> sample = Sample.lines();
    RecordFiles.append(file(), RecordFiles.recordsOf(sample.subList(0, 4000), 0));
    client = new ViewsClient(vertx);
    String id = deploy(vertx, config(50));
    client.awaitUntil("catch-up", () -> client.counter() == 4000);
    long before = client.timestamp(Views.COUNTER);
    vertx.undeploy(id).await(30, TimeUnit.SECONDS);
    assertThat(dir.resolve("engine.checkpoint")).exists();

    RecordFiles.append(file(), RecordFiles.recordsOf(sample.subList(4000, sample.size()), 4000));
    deploy(vertx, config(50));
    Oracle.Expected expected = expected(sample);
    client.awaitUntil("the rest after the restart", () -> client.matches(expected));
    assertThat(client.snapshots).as("a reset snapshot per view after the restart").isEqualTo(6);
    assertThat(client.timestamp(Views.COUNTER)).isGreaterThan(before);
    Samples metrics = Samples.of(vertx);
    long checkpointed = RecordFiles.recordsOf(sample.subList(0, 4000), 0).length;
    long rest = Files.size(file()) - checkpointed;
    assertThat(metrics.count("wikirecent_views_read_bytes_total")).as("read what came after the checkpoint, not the part before")
      .isGreaterThanOrEqualTo(rest).isLessThan(rest + checkpointed / 2);
    assertThat(metrics.count("wikirecent_views_events_applied_total")).as("the checkpoint's events were applied by the first run")
      .isEqualTo(expected.count() - expected(sample.subList(0, 4000)).count());
  }

  @Test
  void aTruncatedFileIsAnnouncedWithResetSnapshots(Vertx vertx) throws Exception {
    List<String> sample = Sample.lines().subList(0, 300);
    RecordFiles.append(file(), RecordFiles.recordsOf(sample, 0));
    client = new ViewsClient(vertx);
    deploy(vertx, config(50));
    client.awaitUntil("catch-up", () -> client.counter() == 300);
    try (FileChannel ch = FileChannel.open(file(), StandardOpenOption.WRITE)) {
      ch.truncate(RecordFiles.recordsOf(sample.subList(0, 100), 0).length);
    }
    Oracle.Expected expected = expected(sample.subList(0, 100));
    client.awaitUntil("the reset", () -> client.matches(expected));
    assertThat(client.snapshots).isEqualTo(6);
    Samples metrics = Samples.of(vertx);
    assertThat(metrics.count("wikirecent_views_file_resets_total")).isEqualTo(1);
    assertThat(metrics.count("wikirecent_views_events_applied_total")).as("the re-read after the reset counts again")
      .isEqualTo(expected(sample).count() + expected.count());
  }

  @Test
  void aReadThatFailsRightAfterAResetStillAnnouncesTheReset(Vertx vertx) throws Exception {
    List<String> sample = Sample.lines().subList(0, 300);
    RecordFiles.append(file(), RecordFiles.recordsOf(sample, 0));
    AtomicBoolean failNextRead = new AtomicBoolean();
    EngineVerticle verticle = new EngineVerticle();
    verticle.engineHooks = e -> e.beforeRead = outOfMemoryOnceArmed(failNextRead); // as allocating a long record's buffer may
    client = new ViewsClient(vertx);
    deploy(vertx, verticle, config(50));
    client.awaitUntil("catch-up", () -> client.counter() == 300);

    // The step that finds the file shorter resets the views, then its read of the shorter file fails.
    failNextRead.set(true);
    try (FileChannel ch = FileChannel.open(file(), StandardOpenOption.WRITE)) {
      ch.truncate(RecordFiles.recordsOf(sample.subList(0, 100), 0).length);
    }
    Oracle.Expected expected = expected(sample.subList(0, 100));
    client.awaitUntil("the reset", () -> client.matches(expected));
    assertThat(failNextRead).as("the read failed once").isFalse();
    assertThat(client.snapshots).as("announced with reset snapshots, not diffs of a re-read").isEqualTo(6);
    waitForStatus(vertx, s -> s.getBoolean("live"));
    assertThat(Samples.of(vertx).count("wikirecent_views_file_resets_total")).isEqualTo(1);
  }

  @Test
  void aStepThatFailsPartWayIsReadAgainAndAnnouncedWithResetSnapshots(Vertx vertx) throws Exception {
    List<String> sample = Sample.lines().subList(0, 600);
    RecordFiles.append(file(), RecordFiles.recordsOf(sample.subList(0, 300), 0));
    AtomicBoolean failing = new AtomicBoolean();
    AtomicInteger applied = new AtomicInteger();
    EngineVerticle verticle = new EngineVerticle();
    verticle.engineHooks = e -> e.beforeApply = failingEveryFifth(failing, applied);
    client = new ViewsClient(vertx);
    deploy(vertx, verticle, config(50));
    client.awaitUntil("catch-up", () -> client.counter() == 300);

    failing.set(true); // the live step fails on its 5th record, and so does every re-read
    appendInPieces(vertx, sample.subList(300, 600), 300, new Random(3), true);
    waitForStatus(vertx, s -> !s.getBoolean("live") && s.getString("detail").contains("injected") && failures(s) >= 3);
    assertThat(Samples.of(vertx).value("wikirecent_views_up", "")).isEqualTo(0.0);
    // Paced: 1, 2, 4, 8, 16 s apart, so within the 32 s this can have taken at most six; polled every 50 ms, dozens.
    Thread.sleep(2_000);
    assertThat(failures(request(vertx, Addresses.STATUS_VIEWS))).as("failed steps, retried with a growing wait").isLessThanOrEqualTo(6);

    failing.set(false);
    Oracle.Expected expected = expected(sample);
    client.awaitUntil("the re-read", () -> client.matches(expected));
    assertThat(client.snapshots).as("reset snapshots after the failures").isEqualTo(6);
    waitForStatus(vertx, s -> s.getBoolean("live"));
    assertThat(request(vertx, Addresses.STATUS_VIEWS).getString("detail")).doesNotContain("failed");
    Samples metrics = Samples.of(vertx);
    assertThat(metrics.value("wikirecent_views_up", "")).isEqualTo(1.0);
    assertThat(metrics.value("wikirecent_views_failures_total", "kind=\"step\"")).isGreaterThanOrEqualTo(3);
    assertThat(metrics.count("wikirecent_views_file_resets_total")).as("failed steps are not file resets").isZero();
  }

  private static Runnable failingEveryFifth(AtomicBoolean failing, AtomicInteger applied) {
    return () -> {
      if (failing.get() && applied.incrementAndGet() % 5 == 0) {
        throw new IllegalStateException("injected");
      }
    };
  }

  /** Throws an OutOfMemoryError once each time {@code armed} is set. */
  private static Runnable outOfMemoryOnceArmed(AtomicBoolean armed) {
    return () -> {
      if (armed.getAndSet(false)) {
        throw new OutOfMemoryError("injected");
      }
    };
  }

  /** Counts its calls and throws an OutOfMemoryError on the given ones. */
  private static Runnable outOfMemoryOn(AtomicInteger calls, int... failing) {
    return () -> {
      int n = calls.incrementAndGet();
      if (java.util.Arrays.stream(failing).anyMatch(f -> f == n)) {
        throw new OutOfMemoryError("injected");
      }
    };
  }

  private long checkpointOffset() {
    try {
      return Checkpoint.read(dir.resolve(EngineVerticle.CHECKPOINT_FILE)).offset();
    } catch (Exception e) {
      return -1;
    }
  }

  @Test
  void whileFailedStepsAreReadAgainTheLastGoodCheckpointStays(Vertx vertx) throws Exception {
    List<String> sample = Sample.lines().subList(0, 600);
    RecordFiles.append(file(), RecordFiles.recordsOf(sample.subList(0, 300), 0));
    long good = Files.size(file());
    AtomicBoolean failing = new AtomicBoolean();
    EngineVerticle verticle = new EngineVerticle();
    verticle.engineHooks = e -> e.beforeApply = failingEveryFifth(failing, new AtomicInteger());
    client = new ViewsClient(vertx);
    String id = deploy(vertx, verticle, config(50).put(Config.ENGINE_CHECKPOINT_MILLIS, 100));
    client.awaitUntil("catch-up", () -> client.counter() == 300);
    Wait.until("a checkpoint of the first 300 events", Wait.LONG, () -> checkpointOffset() == good, () -> "at " + checkpointOffset());

    failing.set(true); // the live step fails, and so does each re-read from the start, after four records
    appendInPieces(vertx, sample.subList(300, 600), 300, new Random(4), true);
    waitForStatus(vertx, s -> failures(s) >= 2);
    Thread.sleep(500); // five checkpoint periods
    assertThat(checkpointOffset()).as("the checkpoint while the views are read again").isEqualTo(good);
    vertx.undeploy(id).await(30, TimeUnit.SECONDS);
    assertThat(checkpointOffset()).as("the checkpoint the stop leaves").isEqualTo(good);

    try (Engine restarted = new Engine(file(), dir.resolve(EngineVerticle.CHECKPOINT_FILE), 16 * 1024, System::currentTimeMillis)) {
      assertThat(restarted.restore().used()).isTrue();
      assertThat(restarted.offset()).isEqualTo(good);
    }
    deploy(vertx, config(50)); // the failure is gone: a restart reads on from the checkpoint
    Oracle.Expected expected = expected(sample);
    client.awaitUntil("the rest after the restart", () -> client.matches(expected));
  }

  @Test
  void goingLiveThatFailsIsTriedAgainAfterAWait(Vertx vertx) throws Exception {
    List<String> sample = Sample.lines().subList(0, 300);
    RecordFiles.append(file(), RecordFiles.recordsOf(sample, 0));
    AtomicInteger snapshots = new AtomicInteger();
    EngineVerticle verticle = new EngineVerticle();
    verticle.engineHooks = e -> e.beforeSnapshot = outOfMemoryOn(snapshots, 2, 4, 6); // each of the first three tries at its second
    client = new ViewsClient(vertx);
    long t0 = System.nanoTime();
    deploy(vertx, verticle, config(50));
    waitForStatus(vertx, s -> !s.getBoolean("live") && s.getString("detail").contains("reset snapshots")
      && s.getString("detail").contains("injected"));
    assertThatThrownBy(() -> request(vertx, Addresses.snapshot("top10")))
      .satisfies(e -> assertThat(((ReplyException) e).failureCode()).isEqualTo(503));

    Oracle.Expected expected = expected(sample);
    client.awaitUntil("the views, once live", () -> client.matches(expected));
    waitForStatus(vertx, s -> s.getBoolean("live"));
    // Tried again 1, 2 and 4 s after each failure; polled every 50 ms, it would have been live within a second.
    assertThat((System.nanoTime() - t0) / 1_000_000).as("ms until live, three paced retries").isGreaterThanOrEqualTo(6_000);
    assertThat(request(vertx, Addresses.STATUS_VIEWS).getString("detail")).doesNotContain("failed");
    assertThat(client.snapshots).as("one reset snapshot per view, from the try that succeeded").isEqualTo(Views.values().length);
    assertThat(snapshots.get()).as("three failed tries and one whole").isEqualTo(3 * 2 + 6);
    Samples metrics = Samples.of(vertx);
    assertThat(metrics.count("wikirecent_views_events_applied_total")).as("each event applied once").isEqualTo(expected.count());
    assertThat(metrics.value("wikirecent_views_failures_total", "kind=\"go_live\"")).isEqualTo(3.0);
    assertThat(metrics.count("wikirecent_views_file_resets_total")).isZero();
  }

  /** A snapshot of a live set (a default one here) that fails is refused with 500, not left to time out; the next is answered. */
  @Test
  void aSnapshotThatFailsIsRefusedAndTheNextIsAnswered(Vertx vertx) throws Exception {
    List<String> sample = Sample.lines().subList(0, 300);
    RecordFiles.append(file(), RecordFiles.recordsOf(sample, 0));
    AtomicBoolean failing = new AtomicBoolean();
    EngineVerticle verticle = new EngineVerticle();
    verticle.engineHooks = e -> e.beforeSnapshot = outOfMemoryOnceArmed(failing);
    deploy(vertx, verticle, config(50));
    waitForStatus(vertx, s -> s.getBoolean("live"));

    failing.set(true);
    DeliveryOptions quick = new DeliveryOptions().setSendTimeout(10_000);
    assertThatThrownBy(() -> vertx.eventBus().request(Addresses.snapshot("top10"), null, quick).await(30, TimeUnit.SECONDS))
      .isInstanceOf(ReplyException.class)
      .hasMessageContaining("the snapshot of top10 failed")
      .hasMessageContaining("injected")
      .satisfies(e -> assertThat(((ReplyException) e).failureCode()).isEqualTo(500));
    JsonObject again = request(vertx, Addresses.snapshot("top10"));
    try (Engine fresh = new Engine(file(), null, 16 * 1024, System::currentTimeMillis)) {
      RecordFiles.readAll(fresh);
      fresh.goLive();
      assertThat(again.getJsonArray(ViewMessage.INSERTED)).isEqualTo(fresh.open(ViewParams.of(ViewParams.View.TOP10)).getJsonArray(ViewMessage.INSERTED));
    }
    Samples metrics = Samples.of(vertx);
    assertThat(metrics.value("wikirecent_views_failures_total", "kind=\"open\"")).isEqualTo(1.0);
    assertThat(metrics.value("wikirecent_views_failures_total", "kind=\"step\"")).isZero();
  }

  @Test
  void aSetThatFailsToOpenIsRefusedAndTheOthersOpen(Vertx vertx) throws Exception {
    List<String> sample = Sample.lines().subList(0, 300);
    RecordFiles.append(file(), RecordFiles.recordsOf(sample, 0));
    AtomicInteger opens = new AtomicInteger();
    EngineVerticle verticle = new EngineVerticle();
    verticle.engineHooks = e -> e.afterOpen = outOfMemoryOn(opens, 1);
    deploy(vertx, verticle, config(50));
    waitForStatus(vertx, s -> s.getBoolean("live"));
    ViewParams first = new ViewParams(ViewParams.View.TOP10, "wikidatawiki", false, ViewParams.Window.ALL);
    ViewParams second = new ViewParams(ViewParams.View.TOP_WIKIS, null, true, ViewParams.Window.ALL);
    DeliveryOptions quick = new DeliveryOptions().setSendTimeout(10_000);
    var a = vertx.eventBus().<JsonObject>request(Addresses.snapshot("top10"), first.toJson(), quick);
    var b = vertx.eventBus().<JsonObject>request(Addresses.snapshot("top_wikis"), second.toJson(), quick);
    assertThatThrownBy(() -> a.await(30, TimeUnit.SECONDS))
      .isInstanceOf(ReplyException.class)
      .hasMessageContaining("opening " + first)
      .hasMessageContaining("injected")
      .satisfies(e -> assertThat(((ReplyException) e).failureCode()).isEqualTo(500));
    JsonObject other = b.await(30, TimeUnit.SECONDS).body();
    JsonObject again = vertx.eventBus().<JsonObject>request(Addresses.snapshot("top10"), first.toJson(), quick)
      .await(30, TimeUnit.SECONDS).body();

    try (Engine fresh = new Engine(file(), null, 16 * 1024, System::currentTimeMillis)) {
      RecordFiles.readAll(fresh);
      fresh.goLive();
      assertThat(again.getJsonArray(ViewMessage.INSERTED)).as("asked again").isEqualTo(fresh.open(first).getJsonArray(ViewMessage.INSERTED));
      assertThat(other.getJsonArray(ViewMessage.INSERTED)).isEqualTo(fresh.open(second).getJsonArray(ViewMessage.INSERTED));
    }
    Samples metrics = Samples.of(vertx);
    assertThat(metrics.value("wikirecent_views_instances", "")).isEqualTo(2.0);
    assertThat(metrics.value("wikirecent_views_failures_total", "kind=\"open\"")).isEqualTo(1.0);
    assertThat(metrics.value("wikirecent_views_failures_total", "kind=\"step\"")).isZero();
  }

  @Test
  void whileItCannotCatchUpSnapshotRequestsFailAndStatusSaysWhy(Vertx vertx) throws Exception {
    Files.createDirectories(file()); // a directory where the file should be: every read fails
    deploy(vertx, config(50));
    JsonObject status = request(vertx, Addresses.STATUS_VIEWS);
    assertThat(status.getBoolean("live")).isFalse();
    assertThatThrownBy(() -> request(vertx, Addresses.snapshot("top10")))
      .isInstanceOf(ReplyException.class)
      .hasMessageContaining("catching up")
      .satisfies(e -> assertThat(((ReplyException) e).failureCode()).isEqualTo(503));
    waitForStatus(vertx, s -> s.getString("detail").contains("failed"));

    Files.delete(file());
    Files.write(file(), RecordFiles.record(1, "{\"user\":\"Alice\"}"));
    waitForStatus(vertx, s -> s.getBoolean("live"));
    JsonObject snap = request(vertx, Addresses.snapshot("top10"));
    assertThat(snap.getJsonArray(ViewMessage.INSERTED).encode()).isEqualTo("[[\"Alice\",1]]");
  }

  @Test
  void refusesToRunOnAnEventLoop(Vertx vertx) {
    assertThatThrownBy(() -> vertx.deployVerticle(new EngineVerticle(), new DeploymentOptions().setConfig(config(50)))
      .await(30, TimeUnit.SECONDS))
      .hasMessageContaining("WORKER");
  }

  @Test
  void aBadSettingFailsTheDeploymentClearly(Vertx vertx) {
    JsonObject config = config(0);
    assertThatThrownBy(() -> deploy(vertx, config)).hasMessageContaining("engine.pollMillis");
    JsonObject tiny = config(50).put(Config.ENGINE_BATCH_MAX_BYTES, 10);
    assertThatThrownBy(() -> deploy(vertx, tiny)).hasMessageContaining("batchMaxBytes");
  }

  private static void waitForStatus(Vertx vertx, java.util.function.Predicate<JsonObject> condition) {
    JsonObject[] last = new JsonObject[1];
    Wait.until("the status to get there", Wait.LONG, () -> condition.test(last[0] = request(vertx, Addresses.STATUS_VIEWS)),
      () -> "status: " + (last[0] == null ? "none" : last[0].encode()));
  }

  /** The count in the status's "(n failures since ...)", 0 if none. */
  private static int failures(JsonObject status) {
    Matcher m = Pattern.compile("\\((\\d+) failures").matcher(status.getString("detail"));
    return m.find() ? Integer.parseInt(m.group(1)) : 0;
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
