package wikirecent.engine;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.Views;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The engine against a real file that is torn, truncated, replaced, rewritten, deleted, or holds huge records. */
class EngineTest {

  @TempDir
  Path dir;
  private Path file;
  private Engine engine;

  @BeforeEach
  void setUp() {
    file = dir.resolve("recentchanges");
    engine = new Engine(file, dir.resolve("engine.checkpoint"), 1024, System::currentTimeMillis);
  }

  private static String event(String user) {
    return "{\"type\":\"edit\",\"user\":\"" + user + "\"}";
  }

  private byte[] records(int firstId, String... users) {
    List<String> lines = new ArrayList<>();
    for (String u : users) {
      lines.add(event(u));
    }
    return RecordFiles.recordsOf(lines, firstId);
  }

  private static long counter(Engine e) {
    return e.state().rows(Views.COUNTER).getJsonArray(0).getLong(0);
  }

  @Test
  void aTornTailIsNeverAppliedAndCountsOnceComplete() throws IOException {
    byte[] three = records(0, "a", "b", "c");
    byte[] two = records(0, "a", "b");
    RecordFiles.append(file, two);
    RecordFiles.append(file, java.util.Arrays.copyOfRange(three, two.length, three.length - 1)); // no empty line yet
    RecordFiles.readAll(engine);
    assertThat(counter(engine)).isEqualTo(2);
    assertThat(engine.offset()).isEqualTo(two.length);
    RecordFiles.append(file, "\n".getBytes(StandardCharsets.UTF_8));
    RecordFiles.readAll(engine);
    assertThat(counter(engine)).isEqualTo(3);
    assertThat(engine.state().count("c")).isEqualTo(1);
    assertThat(engine.offset()).isEqualTo(three.length);
  }

  /**
   * A stretch with no record end as long as a step may read (2 GiB; here 8 KiB) is an error each step, not a read
   * that starts over without end; what came before it stays applied, and once the file is put right it goes on.
   */
  @Test
  void noRecordEndWithinTheLongestReadIsAnErrorNotAnEndlessRead() throws IOException {
    java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(1_000_000);
    engine = new Engine(file, dir.resolve("engine.checkpoint"), 1024, now::get);
    engine.longestRead = 8 * 1024;
    RecordFiles.append(file, records(0, "a", "b"));
    long before = java.nio.file.Files.size(file);
    RecordFiles.append(file, ("data: " + "x".repeat(20 * 1024) + "\n").getBytes(StandardCharsets.UTF_8));
    long[] read = new long[3];
    for (int i = 0; i < 3; i++) {
      if (i == 2) {
        now.addAndGet(60_000); // a minute on: read again, should it have been copied over in place
      }
      org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(10), () -> {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> RecordFiles.readAll(engine))
          .isInstanceOf(IOException.class).hasMessageContaining("no record ends in the 8192 bytes after offset " + before);
      });
      read[i] = engine.bytesRead();
    }
    assertThat(read[1]).as("said again without reading it all again").isEqualTo(read[0]);
    assertThat(read[2]).as("read again a minute later").isGreaterThan(read[1] + 8 * 1024 - 1);
    assertThat(counter(engine)).isEqualTo(2);
    assertThat(engine.offset()).isEqualTo(before);

    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.truncate(before);
    }
    RecordFiles.append(file, records(2, "c"));
    RecordFiles.readAll(engine);
    assertThat(counter(engine)).isEqualTo(3);
  }

  @Test
  void aMissingFileIsAnEmptyOneUntilItAppears() throws IOException {
    assertThat(engine.step(false).more()).isFalse();
    List<JsonObject> snapshots = engine.goLive();
    assertThat(snapshots).extracting(ViewMessage::key)
      .containsExactly("counter", "user_edits", "top10", "top_wikis", "edits_per_minute", "wiki_edits");
    assertThat(snapshots.get(0).getJsonArray(ViewMessage.INSERTED)).isEqualTo(new JsonArray().add(new JsonArray().add(0L)));
    RecordFiles.append(file, records(0, "a"));
    Engine.Step step = engine.step(true);
    // an event without a time: edits_per_minute has nothing to count
    assertThat(step.messages()).extracting(ViewMessage::view).containsExactly("counter", "user_edits", "top10", "top_wikis", "wiki_edits");
    assertThat(step.messages()).allSatisfy(m -> assertThat(ViewMessage.timestamp(m)).isEqualTo(ViewMessage.timestamp(step.messages().get(0))));
    assertThat(step.messages().get(0).getJsonArray(ViewMessage.DELETED).encode()).isEqualTo("[[0]]");
    assertThat(step.messages().get(0).getJsonArray(ViewMessage.INSERTED).encode()).isEqualTo("[[1]]");
    assertThat(step.messages().get(3).getJsonArray(ViewMessage.INSERTED).encode()).as("the NULL wiki").isEqualTo("[[null,1]]");
  }

  @Test
  void aTruncatedFileIsReadAgainFromTheStart() throws IOException {
    RecordFiles.append(file, records(0, "a", "b", "c", "d"));
    RecordFiles.readAll(engine);
    engine.goLive();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.truncate(records(0, "a").length);
    }
    Engine.Step step = engine.step(true);
    assertThat(step.reset()).contains("truncated");
    assertThat(step.messages()).as("no batch against state the subscribers do not have").isEmpty();
    RecordFiles.readAll(engine);
    assertThat(counter(engine)).isEqualTo(1);
    assertThat(engine.resets()).isEqualTo(1);
  }

  @Test
  void aReplacedFileIsReadFromTheStart() throws IOException {
    RecordFiles.append(file, records(0, "a", "b"));
    RecordFiles.readAll(engine);
    Path other = dir.resolve("new");
    Files.write(other, records(100, "x", "y", "z", "w", "v"));
    Files.move(other, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    assertThat(engine.step(false).reset()).contains("replaced");
    RecordFiles.readAll(engine);
    assertThat(counter(engine)).isEqualTo(5);
    assertThat(engine.state().count("a")).isZero();
    assertThat(engine.state().count("z")).isEqualTo(1);
  }

  @Test
  void aFileRewrittenInPlaceIsReadFromTheStart() throws IOException {
    RecordFiles.append(file, records(0, "a", "b"));
    RecordFiles.readAll(engine);
    long end = Files.size(file);
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.seek(end - 5);
      raf.write('q'); // "b" becomes "q", same inode, same size
    }
    RecordFiles.append(file, records(2, "c"));
    Engine.Step step = engine.step(false);
    assertThat(step.reset()).contains("rewritten");
    RecordFiles.readAll(engine);
    assertThat(engine.state().count("b")).isZero();
    assertThat(engine.state().count("q")).isEqualTo(1);
    assertThat(counter(engine)).isEqualTo(3);
  }

  @Test
  void aDeletedFileEmptiesTheViews() throws IOException {
    RecordFiles.append(file, records(0, "a"));
    RecordFiles.readAll(engine);
    Files.delete(file);
    assertThat(engine.step(false).reset()).contains("gone");
    assertThat(counter(engine)).isZero();
    RecordFiles.append(file, records(0, "b"));
    RecordFiles.readAll(engine);
    assertThat(engine.state().count("b")).isEqualTo(1);
  }

  @Test
  void aRecordLongerThanAStepIsStillRead() throws IOException {
    String big = "{\"comment\":\"" + "x".repeat(50_000) + "\",\"user\":\"big\"}";
    RecordFiles.append(file, RecordFiles.recordsOf(List.of(event("a"), big, event("b")), 0));
    RecordFiles.readAll(engine);
    assertThat(counter(engine)).isEqualTo(3);
    assertThat(engine.state().count("big")).isEqualTo(1);
  }

  @Test
  void crlfRecordsCommentsAndSeveralDataLinesPerRecord() throws IOException {
    String text = ":ok\n\n"
      + "event: message\r\nid: 1\r\ndata: {\"user\":\"a\"}\r\n\r\n"
      + "event: message\nid: 2\ndata: {\"user\":\"b\"}\ndata: {\"user\":\"c\"}\ndata:{\"user\":\"not a data line\"}\n\n"
      + "\n\n"
      + "data: {\"user\":\"d\"}\n\n";
    RecordFiles.append(file, text.getBytes(StandardCharsets.UTF_8));
    RecordFiles.readAll(engine);
    assertThat(counter(engine)).isEqualTo(4);
    assertThat(engine.state().count("not a data line")).isZero();
    assertThat(engine.offset()).isEqualTo(text.length());
  }

  @Test
  void invalidLinesAreCountedAndChangeNothing() throws IOException {
    RecordFiles.append(file, RecordFiles.recordsOf(List.of(event("a"), "{\"user\":", "RAW:FF", "[1,2]"), 0));
    RecordFiles.readAll(engine);
    engine.goLive();
    RecordFiles.append(file, RecordFiles.recordsOf(List.of("garbage", "{\"user\":\"\\u0000\"}"), 10));
    Engine.Step step = engine.step(true);
    assertThat(step.messages()).as("nothing changed: no batch").isEmpty();
    assertThat(engine.state().skipped()).isEqualTo(4);
    assertThat(counter(engine)).isEqualTo(2);
    assertThat(engine.state().count(null)).isEqualTo(1);
  }
}
