package wikirecent.ingest;

import ch.qos.logback.classic.Level;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.config.Config;
import wikirecent.records.QuotaFile;
import wikirecent.replay.ReplayOptions;
import wikirecent.replay.ReplayServer;
import wikirecent.replay.Sample;
import wikirecent.testsupport.LogCapture;
import wikirecent.testsupport.Wait;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static wikirecent.ingest.IngestTesting.assertFileHolds;
import static wikirecent.ingest.IngestTesting.PATIENCE;
import static wikirecent.ingest.IngestTesting.awaitRecords;
import static wikirecent.ingest.IngestTesting.config;
import static wikirecent.ingest.IngestTesting.counter;
import static wikirecent.ingest.IngestTesting.replayId;

/** A full disk, simulated on a real file by a quota the test lifts: ingest stops, says so, and comes back. */
@ExtendWith(VertxExtension.class)
class IngestDiskFullIT {

  @TempDir
  Path dir;

  @RegisterExtension
  final LogCapture logs = new LogCapture("wikirecent.ingest");

  private Path file() {
    return dir.resolve(Config.FILE_NAME);
  }

  /** The size of the first n records the replay of the sample produces, computed from the sample text. */
  private static long bytesOfFirst(List<String> sample, int n) {
    long bytes = 0;
    for (int i = 0; i < n; i++) {
      bytes += ("event: message\nid: " + replayId(i) + "\ndata: " + sample.get(i) + "\n\n").getBytes(StandardCharsets.UTF_8).length;
    }
    return bytes;
  }

  private boolean firstRecordsOnly(List<String> sample, int n) {
    try {
      return FileRecords.data(file()).equals(sample.subList(0, n));
    } catch (Exception | AssertionError e) {
      return false; // caught in the middle of a failing append
    }
  }

  @Test
  void aFullDiskStopsIngestLoudlyLosesNothingAndItResumesWhenThereIsRoom(Vertx vertx) throws Exception {
    List<String> sample = Sample.lines();
    QuotaFile.Quota quota = new QuotaFile.Quota();
    quota.bytes.set(bytesOfFirst(sample, 1000) + 500); // record 1001 only half fits
    ReplayServer replay = Wait.on(ReplayServer.start(vertx, new ReplayOptions().port(0)));
    IngestTesting.deploy(vertx, config(replay.url(), dir, Config.INGEST_BACKOFF_MILLIS, 100), quota.opener(), new HttpClientOptions());

    Wait.until("the disk to fill up", PATIENCE, () -> quota.failures.get() >= 1);
    JsonObject[] stopped = new JsonObject[1];
    Wait.until("status to say so", PATIENCE, () -> {
      stopped[0] = IngestTesting.status(vertx);
      return !stopped[0].getBoolean("live") && stopped[0].getString("detail").contains("No space left on device");
    });
    assertThat(stopped[0].getString("detail")).contains(file().toAbsolutePath().toString()).contains("stopped taking events");
    assertThat(counter(vertx, "wikirecent_ingest_write_failures_total")).isGreaterThanOrEqualTo(1);
    // What was written stays, and no part of the record that did not fit. (Each retry writes part of a record
    // and cuts it at once: wait for a moment between two of them.)
    Wait.until("the file to hold exactly the first 1000 records", PATIENCE, () -> firstRecordsOnly(sample, 1000));
    assertFileHolds(file(), sample.subList(0, 1000));
    assertThat(logs.at(Level.ERROR)).anyMatch(m -> m.contains(file().toAbsolutePath().toString())
      && m.contains("No space left on device"));

    Wait.until("a retry that fails again", PATIENCE, () -> quota.failures.get() >= 2);
    Wait.until("the file to hold exactly the first 1000 records", PATIENCE, () -> firstRecordsOnly(sample, 1000));

    quota.bytes.set(Long.MAX_VALUE);
    awaitRecords(file(), sample.size());
    Wait.until("all written", PATIENCE, () -> FileRecords.readWhileWriting(file()).size() == sample.size() && IngestTesting.status(vertx).getBoolean("live"));
    assertFileHolds(file(), sample);
    // every reconnect after the failure resumed right after the last complete record
    var requests = replay.requests();
    assertThat(requests.size()).as("a reconnect after the failure").isGreaterThanOrEqualTo(2);
    assertThat(requests.get(0).lastEventId()).isNull();
    assertThat(requests.subList(1, requests.size())).allSatisfy(r -> assertThat(r.lastEventId()).isEqualTo(replayId(999)));
    assertThat(counter(vertx, "wikirecent_ingest_write_failures_total")).isGreaterThanOrEqualTo(2);
  }

  @Test
  void itDoesNotReconnectWhileTheDiskHasLessRoomThanConfigured(Vertx vertx) throws Exception {
    List<String> sample = Sample.lines();
    QuotaFile.Quota quota = new QuotaFile.Quota();
    quota.bytes.set(bytesOfFirst(sample, 10));
    ReplayServer replay = Wait.on(ReplayServer.start(vertx, new ReplayOptions().port(0)));
    IngestTesting.deploy(vertx, config(replay.url(), dir, Config.INGEST_BACKOFF_MILLIS, 50,
      Config.INGEST_MIN_FREE_MEGABYTES, Integer.MAX_VALUE), quota.opener(), new HttpClientOptions());

    Wait.until("the free-space check to hold ingest back", PATIENCE, () -> IngestTesting.status(vertx).getString("detail").contains("MB free"));
    Thread.sleep(1_500); // the scenario: back-offs of 50 ms to 0.5 s, several checks of the free space meanwhile
    assertThat(replay.requests()).hasSize(1);
    assertThat(IngestTesting.status(vertx).getString("detail")).contains("MB free");
    assertThat(IngestTesting.status(vertx).getBoolean("live")).isFalse();
    assertFileHolds(file(), sample.subList(0, 10));
  }
}
