package wikirecent.engine;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewParams;
import wikirecent.bus.Views;
import wikirecent.replay.Sample;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Restart from a checkpoint gives exactly the state of a full re-read, reading only what came
 * after; every kind of bad checkpoint is ignored with its reason, and the file is re-read.
 */
class CheckpointTest {

  private static final int BATCH = 64 * 1024;
  private static final long STUCK_CLOCK = 5; // far below any timestamp already handed out

  @TempDir
  Path dir;
  private Path file;
  private Path checkpoint;
  private List<String> first;
  private List<String> rest;
  private long checkpointedTimestamp;
  private long checkpointedOffset;
  private List<String> expectedLines;
  private boolean appendRest = true;

  @BeforeEach
  void writeFileAndCheckpoint() throws IOException {
    file = dir.resolve("recentchanges");
    checkpoint = dir.resolve("engine.checkpoint");
    List<String> sample = Sample.lines();
    first = new ArrayList<>(sample.subList(0, 3000));
    first.addAll(List.of("{\"user\":null}", "not json", "[1]", "{\"user\":\"\\ud800\"}", "{\"user\":1.50}"));
    rest = new ArrayList<>(sample.subList(3000, sample.size()));
    rest.addAll(List.of("{\"user\":\"Ωmega\"}", "{\"user\":\"x\"} trailing", "{}"));
    expectedLines = concat(first, rest);
    RecordFiles.append(file, RecordFiles.recordsOf(first, 0));
    try (Engine a = new Engine(file, checkpoint, BATCH, System::currentTimeMillis)) {
      assertThat(a.restore().used()).isFalse();
      RecordFiles.readAll(a);
      a.goLive();
      a.writeCheckpoint();
      checkpointedTimestamp = a.lastTimestamp();
      checkpointedOffset = a.offset();
    }
    assertThat(checkpointedOffset).isEqualTo(Files.size(file));
  }

  @Test
  void restartFromACheckpointReadsOnlyTheRestAndEqualsAFullReRead() throws IOException {
    RecordFiles.append(file, RecordFiles.recordsOf(rest, 3000));
    try (Engine b = new Engine(file, checkpoint, BATCH, () -> STUCK_CLOCK)) {
      Engine.Restore r = b.restore();
      assertThat(r.used()).as(r.message()).isTrue();
      assertThat(b.state().total()).isEqualTo(3003);
      int steps = RecordFiles.readAll(b);
      // What came after, plus per step the fingerprint and the unfinished record at the step's end.
      long after = Files.size(file) - checkpointedOffset;
      assertThat(b.bytesRead()).isLessThanOrEqualTo(after + steps * (Checkpoint.FINGERPRINT_BYTES + 4096L));
      assertSameAsFullReRead(b);
      assertTimestampsContinue(b);
    }
  }

  @Test
  void aRestartWithNothingNewNeedsNoRead() throws IOException {
    expectedLines = first;
    try (Engine b = new Engine(file, checkpoint, BATCH, System::currentTimeMillis)) {
      assertThat(b.restore().used()).isTrue();
      RecordFiles.readAll(b);
      assertThat(b.bytesRead()).isZero();
      assertSameAsFullReRead(b);
    }
  }

  @Test
  void missing() throws IOException {
    Files.delete(checkpoint);
    assertIgnored("no checkpoint", false);
  }

  @Test
  void empty() throws IOException {
    Files.write(checkpoint, new byte[0]);
    assertIgnored("too short", false);
  }

  @Test
  void notACheckpoint() throws IOException {
    Files.writeString(checkpoint, "event: message\nid: 1\ndata: {}\n\n");
    assertIgnored("bad magic", false);
  }

  @Test
  void anotherFormatVersion() throws IOException {
    patch(checkpoint, 4, ByteBuffer.allocate(4).putInt(Checkpoint.VERSION + 1).array());
    assertIgnored("format version " + (Checkpoint.VERSION + 1), false);
  }

  @Test
  void aCheckpointFromBeforeShapedViews() throws IOException {
    patch(checkpoint, 4, ByteBuffer.allocate(4).putInt(1).array());
    assertIgnored("format version 1, written before shaped views: it holds no event times, and the windows can only be rebuilt"
      + " by reading the file", false);
  }

  @Test
  void aFlippedByte() throws IOException {
    long size = Files.size(checkpoint);
    try (RandomAccessFile raf = new RandomAccessFile(checkpoint.toFile(), "rw")) {
      raf.seek(size / 2);
      int b = raf.read();
      raf.seek(size / 2);
      raf.write(b ^ 0x10);
    }
    assertIgnored("corrupt", false);
  }

  @Test
  void cutShort() throws IOException {
    try (FileChannel ch = FileChannel.open(checkpoint, StandardOpenOption.WRITE)) {
      ch.truncate(Files.size(checkpoint) / 2);
    }
    assertIgnored("truncated", false);
  }

  @Test
  void aheadOfATruncatedFile() throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.truncate(RecordFiles.recordsOf(first.subList(0, 1500), 0).length); // cut at a record boundary
    }
    expectedLines = first.subList(0, 1500);
    appendRest = false; // regrown past the offset it would count as rewritten, see the next tests
    assertIgnored("has only", true);
  }

  @Test
  void fromAReplacedFile() throws IOException {
    // Another file (other inode) of the same length whose first id differs.
    Path other = dir.resolve("other");
    Files.copy(file, other);
    patchId(other, 0, 1);
    Files.move(other, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    assertIgnored("starts with other bytes", true);
  }

  @Test
  void fromAFileRewrittenBeforeTheOffset() throws IOException {
    // Same file, same start, same length, but the last record's id differs.
    patchId(file, first.size() - 1, first.size() + 1000);
    assertIgnored("other bytes before offset", true);
  }

  @Test
  void notAtARecordBoundary() throws IOException {
    long mid = checkpointedOffset - 10;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      byte[] head = Checkpoint.readAt(ch, 0, Checkpoint.FINGERPRINT_BYTES);
      byte[] tail = Checkpoint.readAt(ch, mid - Checkpoint.FINGERPRINT_BYTES, Checkpoint.FINGERPRINT_BYTES);
      Checkpoint.write(checkpoint, new Checkpoint.Data(checkpointedTimestamp, mid, head, tail, new ViewState(), new ShapedCore()));
    }
    assertIgnored("not at a record boundary", true);
  }

  /** The checkpoint is not used, says why, and the engine re-reads the file to the right state. */
  private void assertIgnored(String reason, boolean contentsIntact) throws IOException {
    if (appendRest) {
      RecordFiles.append(file, RecordFiles.recordsOf(rest, 3000));
    }
    try (Engine b = new Engine(file, checkpoint, BATCH, () -> STUCK_CLOCK)) {
      Engine.Restore r = b.restore();
      assertThat(r.used()).isFalse();
      assertThat(r.rejected()).as("a checkpoint that is there but unusable is a warning").isEqualTo(!reason.equals("no checkpoint"));
      assertThat(r.message()).contains(reason).contains("reading " + file + " from the start");
      assertThat(b.state().total()).isZero();
      RecordFiles.readAll(b);
      assertThat(b.bytesRead()).isGreaterThanOrEqualTo(Files.size(file));
      assertSameAsFullReRead(b);
      if (contentsIntact) {
        assertTimestampsContinue(b); // an intact checkpoint still passes on its last timestamp
      }
    }
  }

  private void assertTimestampsContinue(Engine b) {
    for (JsonObject snap : b.goLive()) {
      assertThat(ViewMessage.timestamp(snap)).isGreaterThan(checkpointedTimestamp);
    }
  }

  /** Same offset and views as an engine that reads the file from scratch, and as the oracle. */
  private void assertSameAsFullReRead(Engine b) throws IOException {
    try (Engine c = new Engine(file, null, BATCH, System::currentTimeMillis)) {
      RecordFiles.readAll(c);
      assertThat(b.offset()).isEqualTo(c.offset()).isEqualTo(Files.size(file));
      assertThat(b.state().total()).isEqualTo(c.state().total());
      assertThat(b.state().skipped()).isEqualTo(c.state().skipped());
      for (Views v : Views.values()) {
        assertThat(Oracle.userEditsOf(b.state().rows(Views.USER_EDITS))).isEqualTo(Oracle.userEditsOf(c.state().rows(Views.USER_EDITS)));
        assertThat(b.state().rows(v).size()).isEqualTo(c.state().rows(v).size());
      }
      assertThat(b.state().rows(Views.TOP10)).isEqualTo(c.state().rows(Views.TOP10));
      // The shaped state too: the same names, groups and last day of events, so every window is the same.
      assertThat(b.core().events()).isEqualTo(b.state().total());
      assertThat(ShapedCorePropertyTest.bytes(b.core())).isEqualTo(ShapedCorePropertyTest.bytes(c.core()));
      assertThat(b.core().windowEvents()).isPositive();
      for (ViewParams p : sampleParams()) {
        assertThat(b.core().open(p, 1)).as("%s", p).isEqualTo(c.core().open(p, 1));
      }
    }
    List<byte[]> lines = new ArrayList<>();
    for (String l : expectedLines) {
      lines.add(EventLines.bytes(l));
    }
    ViewStatePropertyTest.assertEquals(b.state(), Oracle.compute(lines));
  }

  /** Every view with the sample's busiest wikis, bot or not, and every window. */
  private static List<ViewParams> sampleParams() {
    List<ViewParams> out = new ArrayList<>();
    for (ViewParams.View view : ViewParams.View.values()) {
      for (String wiki : java.util.Arrays.asList(null, "wikidatawiki", "commonswiki", "enwiki")) {
        for (Boolean bot : java.util.Arrays.asList(null, true, false)) {
          for (ViewParams.Window window : ViewParams.Window.values()) {
            try {
              out.add(new ViewParams(view, wiki, bot, window));
            } catch (IllegalArgumentException e) {
              // not a parameter set of this view
            }
          }
        }
      }
    }
    return out;
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  // Rewrites the id of one record to another number of the same length (the data stays the same).
  private static void patchId(Path p, int id, int newId) throws IOException {
    byte[] bytes = Files.readAllBytes(p);
    String text = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1);
    String from = "\"offset\":" + id + "}";
    String to = "\"offset\":" + newId + "}";
    assertThat(to.length()).isEqualTo(from.length());
    int at = text.indexOf(from);
    assertThat(at).isNotNegative();
    patch(p, at, to.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
  }

  private static void patch(Path p, long at, byte[] bytes) throws IOException {
    try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
      raf.seek(at);
      raf.write(bytes);
    }
  }
}
