package wikirecent.ingest;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import wikirecent.config.Config;
import wikirecent.records.ChannelAppendFile;
import wikirecent.records.ForwardingAppendFile;
import wikirecent.replay.ReplayOptions;
import wikirecent.replay.ReplayServer;
import wikirecent.replay.Sample;
import wikirecent.testsupport.LogCapture;
import wikirecent.testsupport.Wait;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static wikirecent.ingest.IngestTesting.PATIENCE;
import static wikirecent.ingest.IngestTesting.awaitRecords;
import static wikirecent.ingest.IngestTesting.config;
import static wikirecent.ingest.IngestTesting.counter;
import static wikirecent.ingest.IngestTesting.replayId;
import static wikirecent.ingest.IngestTesting.status;

/**
 * The file renamed (logrotate), renamed and recreated empty (logrotate's "create"), or deleted while ingest
 * appends to it: ingest notices, says it is not live, and goes on in a fresh file at the path that holds every
 * event from the last one known to be at the path on, each once.
 */
@ExtendWith(VertxExtension.class)
class IngestFileMovedIT {

  @TempDir
  Path dir;

  @RegisterExtension
  final LogCapture logs = new LogCapture("wikirecent.ingest");

  private Path file() {
    return dir.resolve(Config.FILE_NAME);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"mv", "mv+create", "rm", "mv, the first reopen failing", "mv, the first write failing"})
  void theFileTakenAwayWhileIngestRunsGoesOnInAFreshFileLosingNothing(String how, Vertx vertx) throws Exception {
    List<String> sample = Sample.lines();
    // Every open after the first waits for the test: ingest's reopening is held so its status can be read.
    boolean reopenFails = how.endsWith("reopen failing");
    boolean writeFails = how.endsWith("write failing");
    AtomicInteger opens = new AtomicInteger();
    CountDownLatch gate = new CountDownLatch(1);
    ReplayServer replay = Wait.on(ReplayServer.start(vertx, new ReplayOptions().port(0).rate(1000)));
    IngestTesting.deploy(vertx, config(replay.url(), dir), path -> {
      if (opens.incrementAndGet() > 1) {
        try {
          if (!gate.await(120, TimeUnit.SECONDS)) {
            throw new IOException("the test never opened the gate");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException(e);
        }
        if (reopenFails && opens.get() == 2) {
          throw new IOException("No space left on device (injected)");
        }
        if (writeFails && opens.get() == 2) {
          return new ForwardingAppendFile(ChannelAppendFile.open(path)) {
            @Override
            public void append(ByteBuffer record) throws IOException {
              throw new IOException("No space left on device (injected)");
            }
          };
        }
      }
      return ChannelAppendFile.open(path);
    }, new HttpClientOptions());
    awaitRecords(file(), 1000);

    Path moved = dir.resolve(Config.FILE_NAME + ".1");
    byte[] oldContent;
    try (FileChannel old = FileChannel.open(file(), StandardOpenOption.READ)) { // keeps a deleted file readable
      switch (how) {
        case "mv", "mv, the first reopen failing", "mv, the first write failing" -> Files.move(file(), moved);
        case "mv+create" -> {
          Files.move(file(), moved);
          Files.createFile(file());
        }
        default -> Files.delete(file());
      }
      JsonObject[] seen = new JsonObject[1];
      try {
        Wait.until("ingest to notice", PATIENCE, () -> {
          seen[0] = status(vertx);
          return seen[0].getString("detail").contains("no longer names the file");
        });
        assertThat(seen[0].getBoolean("live")).isFalse();
        assertThat(counter(vertx, "wikirecent_ingest_files_moved_total")).isEqualTo(1);
      } finally {
        gate.countDown();
      }
      Wait.until("the last event in the new file", PATIENCE, () -> {
        List<FileRecords.Rec> records = FileRecords.readWhileWriting(file());
        return !records.isEmpty() && records.get(records.size() - 1).id().equals(replayId(sample.size() - 1));
      });
      Wait.until("live again", PATIENCE, () -> status(vertx).getBoolean("live"));
      ByteBuffer all = ByteBuffer.allocate((int) old.size());
      while (all.hasRemaining() && old.read(all, all.position()) >= 0) {
        // read the old file as ingest left it
      }
      oldContent = all.array();
    }

    // The old file: the first events, in order, each once, nothing torn.
    Path oldCopy = dir.resolve("old-copy");
    Files.write(oldCopy, oldContent);
    List<FileRecords.Rec> before = FileRecords.read(oldCopy);
    assertThat(before.size()).isGreaterThanOrEqualTo(1000);
    for (int i = 0; i < before.size(); i++) {
      assertThat(before.get(i)).isEqualTo(new FileRecords.Rec(replayId(i), sample.get(i)));
    }
    // The new file: from some event on to the last one, in order, each once, starting no later than right
    // after the old file's last event.
    List<FileRecords.Rec> after = FileRecords.read(file());
    int first = sample.size() - after.size();
    assertThat(first).as("no gap between the old file and the new one").isBetween(0, before.size());
    for (int i = 0; i < after.size(); i++) {
      assertThat(after.get(i)).isEqualTo(new FileRecords.Rec(replayId(first + i), sample.get(first + i)));
    }
    assertThat(counter(vertx, "wikirecent_ingest_files_moved_total")).isEqualTo(1);
    assertThat(logs.lines()).filteredOn(l -> l.contains("no longer names the file")).hasSize(1);
    if (reopenFails || writeFails) {
      assertThat(opens.get()).as("the failed reopen or write, then the open that worked").isGreaterThanOrEqualTo(3);
      assertThat(first).as("resumed from the old file's events (a failed open or write keeps them), not from the backfill")
        .isPositive();
    }
    if (first > 0) {
      assertThat(replay.requests()).anyMatch(r -> replayId(first - 1).equals(r.lastEventId()));
    }
  }
}
