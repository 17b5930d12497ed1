package wikirecent.ingest;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.bus.IngestStatus;
import wikirecent.config.Config;
import wikirecent.records.LockProbe;
import wikirecent.replay.ReplayOptions;
import wikirecent.replay.ReplayServer;
import wikirecent.replay.Sample;
import wikirecent.testsupport.Wait;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static wikirecent.ingest.IngestTesting.PATIENCE;
import static wikirecent.ingest.IngestTesting.assertFileHolds;
import static wikirecent.ingest.IngestTesting.awaitRecords;
import static wikirecent.ingest.IngestTesting.config;
import static wikirecent.ingest.IngestTesting.counter;
import static wikirecent.ingest.IngestTesting.skipped;
import static wikirecent.ingest.IngestTesting.deploy;
import static wikirecent.ingest.IngestTesting.replayId;

/** Ingest against the real replay server on loopback, checked on the file it writes. */
@ExtendWith(VertxExtension.class)
class IngestReplayIT {

  static List<String> sample;

  @TempDir
  Path dir;

  @BeforeAll
  static void readSample() throws Exception {
    sample = Sample.lines();
    assertThat(sample).hasSize(5911);
  }

  private Path file() {
    return dir.resolve("data").resolve(Config.FILE_NAME);
  }

  private static ReplayServer replay(Vertx vertx, ReplayOptions options) {
    return Wait.on(ReplayServer.start(vertx, options.host("127.0.0.1").port(0)));
  }

  private void assertIdsAreTheReplayOffsets() throws Exception {
    List<FileRecords.Rec> records = FileRecords.read(file());
    for (int i = 0; i < records.size(); i++) {
      assertThat(records.get(i).id()).isEqualTo(replayId(i));
    }
  }

  @Test
  void everyEventOnceAndInOrderWhenTheConnectionIsCutEveryNEvents(Vertx vertx) throws Exception {
    ReplayServer replay = replay(vertx, new ReplayOptions().cutEvery(397));
    String id = deploy(vertx, config(replay.url(), dir.resolve("data")));
    awaitRecords(file(), sample.size());
    Wait.until("all written", PATIENCE, () -> counter(vertx, "wikirecent_ingest_events_written_total") == sample.size());
    Wait.on(vertx.undeploy(id));

    assertFileHolds(file(), sample);
    assertIdsAreTheReplayOffsets();
    // one connection per 397 events, each resuming right after the last record written
    List<ReplayServer.Request> requests = replay.requests();
    assertThat(requests).hasSizeGreaterThanOrEqualTo(sample.size() / 397 + 1);
    for (int i = 1; i <= sample.size() / 397; i++) {
      assertThat(requests.get(i).lastEventId()).isEqualTo(replayId(397L * i - 1));
    }
  }

  @Test
  void everyEventOnceAndInOrderWhenCutInTheMiddleOfAFrame(Vertx vertx) throws Exception {
    ReplayServer replay = replay(vertx, new ReplayOptions().cutEvery(250).cutMidFrame(true));
    String id = deploy(vertx, config(replay.url(), dir.resolve("data")));
    awaitRecords(file(), sample.size());
    Wait.until("all written", PATIENCE, () -> counter(vertx, "wikirecent_ingest_events_written_total") == sample.size());
    assertThat(skipped(vertx, "invalid")).isZero(); // the half frames never became events
    assertThat(counter(vertx, "wikirecent_ingest_reconnects_total")).isGreaterThanOrEqualTo(sample.size() / 250);
    Wait.on(vertx.undeploy(id));

    assertFileHolds(file(), sample);
    assertIdsAreTheReplayOffsets();
  }

  @Test
  void resumesWhereItStoppedAfterTheVerticleIsStoppedAndStartedAgain(Vertx vertx) throws Exception {
    ReplayServer replay = replay(vertx, new ReplayOptions().rate(800));
    JsonObject conf = config(replay.url(), dir.resolve("data"));
    String id = deploy(vertx, conf);
    awaitRecords(file(), 400);
    Wait.on(vertx.undeploy(id));

    List<FileRecords.Rec> before = FileRecords.read(file()); // well-formed, nothing torn
    int k = before.size();
    assertThat(k).isBetween(400, sample.size() - 1);
    assertThat(FileRecords.data(file())).containsExactlyElementsOf(sample.subList(0, k));

    id = deploy(vertx, conf);
    awaitRecords(file(), sample.size());
    Wait.until("all written", PATIENCE, () -> counter(vertx, "wikirecent_ingest_events_written_total") == sample.size() - k);
    Wait.on(vertx.undeploy(id));

    assertFileHolds(file(), sample);
    assertIdsAreTheReplayOffsets();
    List<ReplayServer.Request> requests = replay.requests();
    assertThat(requests.get(0).lastEventId()).isNull();
    assertThat(requests.get(requests.size() - 1).lastEventId()).isEqualTo(before.get(k - 1).id());
  }

  @Test
  void resumesAfterACrashThatLeftHalfARecord(Vertx vertx) throws Exception {
    // What a kill -9 in the middle of an append leaves: 1000 records and half of the next one.
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 1000; i++) {
      text.append("event: message\nid: ").append(replayId(i)).append("\ndata: ").append(sample.get(i)).append("\n\n");
    }
    String next = "event: message\nid: " + replayId(1000) + "\ndata: " + sample.get(1000) + "\n\n";
    text.append(next, 0, next.length() / 2);
    Files.createDirectories(file().getParent());
    Files.writeString(file(), text, StandardCharsets.UTF_8);

    ReplayServer replay = replay(vertx, new ReplayOptions());
    String id = deploy(vertx, config(replay.url(), dir.resolve("data")));
    awaitRecords(file(), sample.size());
    Wait.until("all written", PATIENCE, () -> counter(vertx, "wikirecent_ingest_events_written_total") == sample.size() - 1000);
    assertThat(counter(vertx, "wikirecent_ingest_torn_cut_bytes_total")).isEqualTo(next.length() / 2);
    Wait.on(vertx.undeploy(id));

    assertFileHolds(file(), sample);
    assertIdsAreTheReplayOffsets();
    assertThat(replay.requests().get(0).lastEventId()).isEqualTo(replayId(999));
  }

  @Test
  void canariesAreDroppedNonJsonIsSkippedAndRedeliveriesAreDropped(Vertx vertx) throws Exception {
    List<String> served = new ArrayList<>();
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      served.add(sample.get(i));
      expected.add(sample.get(i));
      if (i % 60 == 7) {
        served.add("{\"$schema\":\"/mediawiki/recentchange/1.0.0\",\"meta\":{\"uri\":\"https://canary/Special:Canary\","
          + "\"id\":\"canary-" + i + "\",\"domain\":\"canary\",\"stream\":\"mediawiki.recentchange\"}}");
      }
      if (i % 90 == 3) {
        served.add(i % 180 == 3 ? "this is not json at " + i : "{\"meta\":{\"id\":\"cut-" + i + "\"},\"user\":\"trunc");
      }
      if (i % 100 == 50) {
        served.add(sample.get(i - 10)); // the same meta.id again
      }
    }
    String noMetaId = "{\"type\":\"edit\",\"user\":\"Someone\",\"title\":\"Line\u2028Separator\"}";
    served.add(noMetaId);
    expected.add(noMetaId);
    Path recording = dir.resolve("recording.jsonl");
    Files.write(recording, served, StandardCharsets.UTF_8);
    long canaries = IntStream.range(0, 400).filter(i -> i % 60 == 7).count();
    long invalid = IntStream.range(0, 400).filter(i -> i % 90 == 3).count();
    long duplicates = IntStream.range(0, 400).filter(i -> i % 100 == 50).count();

    ReplayServer replay = replay(vertx, new ReplayOptions().file(recording));
    String id = deploy(vertx, config(replay.url(), dir.resolve("data")));
    // Every event received is written or skipped for one reason.
    Wait.until("the whole recording handled", PATIENCE, () -> counter(vertx, "wikirecent_ingest_events_written_total")
      + counter(vertx, "wikirecent_ingest_events_skipped_total") == served.size());
    assertThat(skipped(vertx, "canary")).isEqualTo(canaries);
    assertThat(skipped(vertx, "invalid")).isEqualTo(invalid);
    assertThat(skipped(vertx, "duplicate")).isEqualTo(duplicates);
    assertThat(counter(vertx, "wikirecent_ingest_events_without_meta_id_total")).isEqualTo(1);
    assertThat(counter(vertx, "wikirecent_ingest_events_written_total")).isEqualTo(expected.size());
    Wait.on(vertx.undeploy(id));

    assertFileHolds(file(), expected);
  }

  @Test
  void sendsTheConfiguredUserAgentAndAsksForAnEventStream(Vertx vertx) throws Exception {
    ReplayServer replay = replay(vertx, new ReplayOptions().cutEvery(2000));
    deploy(vertx, config(replay.url(), dir.resolve("data")));
    awaitRecords(file(), sample.size());
    assertThat(replay.requests()).hasSizeGreaterThanOrEqualTo(3).allSatisfy(r -> {
      assertThat(r.userAgent()).isEqualTo(IngestTesting.AGENT);
      assertThat(r.accept()).isEqualTo("text/event-stream");
    });
  }

  @Test
  void aCrlfFeed(Vertx vertx) throws Exception {
    ReplayServer replay = replay(vertx, new ReplayOptions().crlf(true).cutEvery(1000));
    String id = deploy(vertx, config(replay.url(), dir.resolve("data")));
    awaitRecords(file(), sample.size());
    Wait.until("all written", PATIENCE, () -> counter(vertx, "wikirecent_ingest_events_written_total") == sample.size());
    Wait.on(vertx.undeploy(id));
    assertFileHolds(file(), sample);
    assertIdsAreTheReplayOffsets();
  }

  @Test
  void theStatusSaysWhatIngestIsDoing(Vertx vertx) throws Exception {
    ReplayServer replay = replay(vertx, new ReplayOptions());
    deploy(vertx, config(replay.url(), dir.resolve("data")));
    awaitRecords(file(), sample.size());
    Wait.until("all written", PATIENCE, () -> counter(vertx, "wikirecent_ingest_events_written_total") == sample.size());
    IngestStatus status = IngestStatus.fromJson(IngestTesting.status(vertx));
    assertThat(status.live()).isTrue();
    assertThat(status.detail()).contains(replay.url()).contains(replayId(sample.size() - 1));
    assertThat(status.lastId()).isEqualTo(replayId(sample.size() - 1));
    assertThat(counter(vertx, "wikirecent_ingest_written_bytes_total")).isEqualTo(Files.size(file()));
    // sizes go down too (a torn record cut, the queue drained): gauges, not counters
    assertThat(counter(vertx, "wikirecent_ingest_file_size_bytes")).isEqualTo(Files.size(file()));
    assertThat(counter(vertx, "wikirecent_ingest_queued_bytes")).isZero();
    assertThat(counter(vertx, "wikirecent_ingest_up")).isEqualTo(1);
  }

  @Test
  void publishesTheNewFileSizeAfterAppends(Vertx vertx) throws Exception {
    List<Long> sizes = new java.util.concurrent.CopyOnWriteArrayList<>();
    Wait.on(vertx.eventBus().<Long>consumer(wikirecent.bus.Addresses.FILE_APPENDED, m -> sizes.add(m.body())).completion());
    ReplayServer replay = replay(vertx, new ReplayOptions());
    deploy(vertx, config(replay.url(), dir.resolve("data")));
    awaitRecords(file(), sample.size());
    Wait.until("the last size published", PATIENCE, () -> !sizes.isEmpty() && sizes.get(sizes.size() - 1) == Files.size(file()));
    assertThat(sizes).isSorted().doesNotHaveDuplicates();
  }

  @Test
  void doesNotStartOnAFileThatIsNotARecentchangesFileAndLeavesItAlone(Vertx vertx) throws Exception {
    Files.createDirectories(file().getParent());
    String notOurs = String.join("\n", sample.subList(0, 2000)) + "\n"; // JSON lines, no record boundary
    Files.writeString(file(), notOurs, StandardCharsets.UTF_8);
    JsonObject conf = config("http://127.0.0.1:9/unused", dir.resolve("data"), Config.INGEST_MAX_EVENT_BYTES, 65536);
    Throwable failure = Wait.on(vertx.deployVerticle(new IngestVerticle(), new io.vertx.core.DeploymentOptions().setConfig(conf))
      .transform(ar -> io.vertx.core.Future.succeededFuture(ar.cause())));
    assertThat(failure).hasMessageContaining("does not end like a recentchanges file");
    assertThat(Files.readString(file(), StandardCharsets.UTF_8)).isEqualTo(notOurs);
  }

  @Test
  void aSecondIngestOnTheSameFileIsRefused(Vertx vertx) throws Exception {
    ReplayServer replay = replay(vertx, new ReplayOptions().rate(100));
    JsonObject conf = config(replay.url(), dir.resolve("data"));
    String id = deploy(vertx, conf);
    Throwable failure = Wait.on(vertx.deployVerticle(new IngestVerticle(), new io.vertx.core.DeploymentOptions().setConfig(conf))
      .transform(ar -> io.vertx.core.Future.succeededFuture(ar.cause())));
    assertThat(failure).hasMessageContaining("locked");
    assertThat(vertx.deploymentIDs()).containsExactly(id); // the refused one left nothing running
    assertThat(LockProbe.probe(file())).as("another process, after the refused ingest").isEqualTo("held");
    awaitRecords(file(), 20);
    Wait.on(vertx.undeploy(id));
    List<String> written = FileRecords.data(file());
    assertThat(written).containsExactlyElementsOf(sample.subList(0, written.size()));
  }

  @Test
  void aStreamUrlThatIsNotHttpIsRefusedAtStart(Vertx vertx) {
    for (String url : List.of("ftp://example.org/feed", "stream.wikimedia.org/v2/stream/recentchange", "http://",
      "http://127.0.0.1:99999/v2/stream/recentchange")) { // the last once left ingest starting for good
      JsonObject conf = config(url, dir.resolve("data"));
      Throwable failure = Wait.on(vertx.deployVerticle(new IngestVerticle(), new io.vertx.core.DeploymentOptions().setConfig(conf))
        .transform(ar -> io.vertx.core.Future.succeededFuture(ar.cause())));
      assertThat(failure).as(url).hasMessageContaining("stream.url must be an http:// or https:// URL");
    }
  }
}
