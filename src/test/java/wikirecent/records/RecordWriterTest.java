package wikirecent.records;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RecordWriterTest {

  @TempDir
  Path dir;

  private static List<byte[]> records(int from, int count) {
    List<byte[]> list = new ArrayList<>();
    for (int i = from; i < from + count; i++) {
      list.add(RecordFormat.record("[{\"offset\":" + i + "}]", "{\"meta\":{\"id\":\"m" + i + "\"},\"user\":\"u" + (i % 7) + "\"}"));
    }
    return list;
  }

  private static byte[] concat(List<byte[]> records) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    records.forEach(out::writeBytes);
    return out.toByteArray();
  }

  /** Files whose {@code nth} fsync (counted over all of them in {@code calls}) fails, as a failing disk's. */
  private static AppendFile.Opener failingForce(int nth, int[] calls) {
    return path -> new ForwardingAppendFile(ChannelAppendFile.open(path)) {
      @Override
      public void force() throws IOException {
        if (++calls[0] == nth) {
          throw new IOException("as if the disk failed");
        }
        real.force();
      }
    };
  }

  private RecordWriter open(Path file, AppendFile.Opener opener, long fsyncMillis, AtomicLong clock) throws IOException {
    return RecordWriter.open(file, opener, 1000, 1 << 20, fsyncMillis, clock::get, RecordTailTest::meta);
  }

  @Test
  void aFailedAppendLeavesNoPartOfTheRecordAndLaterOnesGoOnWhenThereIsRoom() throws Exception {
    Path file = dir.resolve("recentchanges");
    QuotaFile.Quota quota = new QuotaFile.Quota();
    List<byte[]> all = records(0, 10);
    long fourRecords = concat(all.subList(0, 4)).length;
    quota.bytes.set(fourRecords + 30); // the fifth record would only half fit

    RecordWriter writer = open(file, quota.opener(), -1, new AtomicLong());
    RecordWriter.Result r = writer.append(all.subList(0, 7));
    assertThat(r.written()).isEqualTo(4);
    assertThat(r.error()).hasMessage("No space left on device");
    assertThat(quota.failures).hasValue(1);
    assertThat(r.size()).isEqualTo(fourRecords);
    assertThat(Files.readAllBytes(file)).isEqualTo(concat(all.subList(0, 4)));

    quota.bytes.set(Long.MAX_VALUE);
    RecordWriter.Result again = writer.append(all.subList(4, 10));
    assertThat(again.written()).isEqualTo(6);
    assertThat(again.error()).isNull();
    writer.close();
    assertThat(Files.readAllBytes(file)).isEqualTo(concat(all));
  }

  @Test
  void fsyncEveryRecordNeverOrAtMostEveryNMillis() throws Exception {
    AtomicLong clock = new AtomicLong(1_000);
    QuotaFile.Quota quota = new QuotaFile.Quota();

    RecordWriter every = open(dir.resolve("a"), quota.opener(), 0, clock);
    every.append(records(0, 5));
    assertThat(quota.forces).hasValue(5);
    every.close();

    quota.forces.set(0);
    RecordWriter never = open(dir.resolve("b"), quota.opener(), -1, clock);
    never.append(records(0, 5));
    never.append(records(5, 5));
    never.close(false);
    assertThat(quota.forces).hasValue(0);

    RecordWriter timed = open(dir.resolve("c"), quota.opener(), 500, clock);
    timed.append(records(0, 5));
    assertThat(quota.forces).hasValue(0);
    clock.addAndGet(499);
    timed.append(records(5, 1));
    assertThat(quota.forces).hasValue(0);
    clock.addAndGet(1);
    timed.append(records(6, 1));
    assertThat(quota.forces).hasValue(1);
    timed.syncIfDirty();
    assertThat(quota.forces).hasValue(1); // nothing new since
    timed.append(records(7, 1));
    timed.syncIfDirty(); // the periodic timer
    assertThat(quota.forces).hasValue(2);
    timed.close(true);
    assertThat(quota.forces).hasValue(2);
  }

  @Test
  void openingCutsATornRecordAndFindsWhereToResume() throws Exception {
    Path file = dir.resolve("recentchanges");
    List<byte[]> all = records(0, 3);
    byte[] torn = java.util.Arrays.copyOf(records(3, 1).get(0), 40);
    Files.write(file, concat(List.of(concat(all), torn)));

    RecordWriter writer = open(file, ChannelAppendFile::open, -1, new AtomicLong());
    assertThat(writer.recovery().cutBytes()).isEqualTo(40);
    assertThat(writer.recovery().lastId()).isEqualTo("[{\"offset\":2}]");
    assertThat(writer.recovery().recentIds()).containsExactly("m0", "m1", "m2");
    writer.append(records(3, 1));
    writer.close();
    assertThat(Files.readAllBytes(file)).isEqualTo(concat(records(0, 4)));
  }

  /**
   * Another process is kept out, and so is a second writer in this one, without dropping the first's lock: the lock
   * is the process's, and closing any channel of the file would drop it (a probe in its own JVM checks).
   */
  @Test
  void aSecondWriterOfTheSameFileIsRefused() throws Exception {
    Path file = dir.resolve("recentchanges");
    RecordWriter first = open(file, ChannelAppendFile::open, -1, new AtomicLong());
    assertThat(LockProbe.probe(file)).as("another process").isEqualTo("held");
    assertThatThrownBy(() -> open(file, ChannelAppendFile::open, -1, new AtomicLong()))
      .isInstanceOf(IOException.class).hasMessageContaining("locked");
    assertThat(LockProbe.probe(file)).as("another process, after a second writer here was refused").isEqualTo("held");
    first.close();
    assertThat(LockProbe.probe(file)).as("once the writer closed").isEqualTo("free");
    RecordWriter again = open(file, ChannelAppendFile::open, -1, new AtomicLong());
    assertThat(LockProbe.probe(file)).isEqualTo("held");
    again.close();
  }

  /** Writes records 0..2, cuts the file to {@code cut} bytes behind the writer's back, appends record 3. */
  private String afterCut(java.util.function.ToIntFunction<byte[]> cut) throws Exception {
    Path file = dir.resolve("cut-" + System.nanoTime());
    RecordWriter writer = open(file, ChannelAppendFile::open, -1, new AtomicLong());
    assertThat(writer.append(records(0, 3)).repaired()).isFalse();
    byte[] written = Files.readAllBytes(file);
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
      ch.truncate(cut.applyAsInt(written));
    }
    RecordWriter.Result r = writer.append(records(3, 1));
    writer.close();
    assertThat(r.error()).isNull();
    assertThat(r.size()).isEqualTo(Files.size(file));
    return (r.repaired() ? "repaired:" : "as is:") + Files.readString(file, StandardCharsets.UTF_8);
  }

  @Test
  void afterTheFileShrankTheNextAppendStartsOnARecordBoundary() throws Exception {
    String two = new String(concat(records(0, 2)), StandardCharsets.UTF_8);
    String third = new String(records(2, 1).get(0), StandardCharsets.UTF_8);
    String next = new String(records(3, 1).get(0), StandardCharsets.UTF_8);
    int twoBytes = two.getBytes(StandardCharsets.UTF_8).length;
    // in the middle of the third record's data line: the damaged record is closed with an empty line
    assertThat(afterCut(b -> twoBytes + 30)).isEqualTo("repaired:" + two + third.substring(0, 30) + "\n\n" + next);
    // right after its data line, before the empty line: one \n completes it
    assertThat(afterCut(b -> b.length - 1)).isEqualTo("repaired:" + two + third + next);
    // on a boundary: nothing to add
    assertThat(afterCut(b -> twoBytes)).isEqualTo("as is:" + two + next);
    assertThat(afterCut(b -> 0)).isEqualTo("as is:" + next);
  }

  @Test
  void bytesAppendedBySomeoneElseAreClosedOffToo() throws Exception {
    Path file = dir.resolve("recentchanges");
    RecordWriter writer = open(file, ChannelAppendFile::open, -1, new AtomicLong());
    writer.append(records(0, 1));
    Files.writeString(file, "data: {\"half", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
    RecordWriter.Result r = writer.append(records(1, 1));
    writer.close();
    assertThat(r.repaired()).isTrue();
    assertThat(Files.readAllBytes(file)).isEqualTo(concat(List.of(records(0, 1).get(0),
      "data: {\"half\n\n".getBytes(StandardCharsets.UTF_8), records(1, 1).get(0))));
  }

  @Test
  void itTellsWhenThePathNoLongerNamesItsFileAndWhatTheFileHeldWhenItLastDid() throws Exception {
    Path file = dir.resolve("recentchanges");
    RecordWriter writer = open(file, ChannelAppendFile::open, -1, new AtomicLong());
    writer.append(records(0, 3));
    assertThat(writer.checkPath()).isNull();
    writer.append(records(3, 2)); // written after the last check: not known to be at the path
    Files.move(file, dir.resolve("recentchanges.1"));
    assertThat(writer.checkPath()).isEqualTo("it is gone");
    Files.writeString(file, "");
    assertThat(writer.checkPath()).isEqualTo("another file has its name");
    RecordTail.Recovery confirmed = writer.confirmedTail();
    assertThat(confirmed.lastId()).isEqualTo("[{\"offset\":2}]");
    assertThat(confirmed.recentIds()).containsExactly("m0", "m1", "m2");
    writer.close();
    assertThat(Files.readAllBytes(dir.resolve("recentchanges.1"))).isEqualTo(concat(records(0, 5)));
  }

  /**
   * A file that took a moved one's place goes on from that one until it holds a record of its own: reopened
   * before any write (its first write failed), or moved away itself while empty, the next file still goes on from
   * the first one's last event, not from nothing (which would re-fetch the whole backfill).
   */
  @Test
  void theCarryOutlivesAReplacementThatNeverHeldARecord() throws Exception {
    Path file = dir.resolve("recentchanges");
    RecordWriter first = open(file, ChannelAppendFile::open, -1, new AtomicLong());
    first.append(records(0, 3));
    assertThat(first.checkPath()).isNull();
    Files.move(file, dir.resolve("recentchanges.1"));
    RecordWriter second = first.reopen(ChannelAppendFile::open);
    assertThat(second.carried()).isTrue();

    RecordWriter third = second.reopen(ChannelAppendFile::open); // as after a failed first write: same file, still empty
    Files.move(file, dir.resolve("recentchanges.2"));
    RecordWriter fourth = third.reopen(ChannelAppendFile::open); // the empty one moved away
    for (RecordWriter w : List.of(third, fourth)) {
      assertThat(w.carried()).isTrue();
      assertThat(w.recovery().lastId()).isEqualTo("[{\"offset\":2}]");
      assertThat(w.recovery().recentIds()).containsExactly("m0", "m1", "m2");
    }

    fourth.append(records(3, 1));
    assertThat(fourth.checkPath()).isNull();
    RecordWriter fifth = fourth.reopen(ChannelAppendFile::open); // it holds a record now: its own file goes on
    assertThat(fifth.carried()).isFalse();
    assertThat(fifth.recovery().lastId()).isEqualTo("[{\"offset\":3}]");
    fifth.close();
    assertThat(Files.readAllBytes(file)).isEqualTo(concat(records(3, 1)));
  }

  /** The file moved away is fsynced before the next one goes on from it (a power cut would else leave a gap in it). */
  @Test
  void aMovedFileIsMadeDurableBeforeTheNextGoesOnFromIt() throws Exception {
    Path file = dir.resolve("recentchanges");
    QuotaFile.Quota quota = new QuotaFile.Quota();
    AtomicLong clock = new AtomicLong(1_000);
    RecordWriter writer = open(file, quota.opener(), 60_000, clock);
    writer.append(records(0, 3));
    assertThat(quota.forces).as("not yet: once a minute").hasValue(0);
    Files.move(file, dir.resolve("recentchanges.1"));
    RecordWriter next = writer.reopen(quota.opener());
    assertThat(quota.forces).hasValue(1);
    assertThat(next.carried()).isTrue();
    next.close();

    quota.forces.set(0);
    RecordWriter never = open(dir.resolve("b"), quota.opener(), -1, clock);
    never.append(records(0, 3));
    Files.move(dir.resolve("b"), dir.resolve("b.1"));
    never.reopen(quota.opener()).close();
    assertThat(quota.forces).as("-1: never").hasValue(0);
  }

  /** With an fsync per record, one that fails stops the batch there but cuts nothing: that record is whole. */
  @Test
  void aFailedFsyncCutsNothing() throws Exception {
    Path file = dir.resolve("recentchanges");
    int[] calls = {0};
    AppendFile.Opener failingThird = failingForce(3, calls);
    RecordWriter writer = open(file, failingThird, 0, new AtomicLong());
    RecordWriter.Result r = writer.append(records(0, 5));
    assertThat(r.error()).hasMessageContaining("disk failed");
    assertThat(r.written()).isEqualTo(3);
    writer.close();
    assertThat(Files.readAllBytes(file)).isEqualTo(concat(records(0, 3)));
  }

  /**
   * After a failed fsync the records past the last good one are not known to be on disk (the kernel may have dropped
   * the pages it could not write, and the next fsync "succeeds"): opening the file again cuts them, so the next
   * writer resumes from the last durable record and the feed sends the rest again.
   */
  @Test
  void reopeningAfterAFailedFsyncCutsWhatIsNotKnownToBeOnDisk() throws Exception {
    Path file = dir.resolve("recentchanges");
    int[] calls = {0};
    AppendFile.Opener failingThird = failingForce(3, calls);
    RecordWriter writer = open(file, failingThird, 0, new AtomicLong());
    assertThat(writer.append(records(0, 5)).written()).isEqualTo(3);
    assertThat(Files.readAllBytes(file)).as("kept while the writer runs: a reader may have seen it").isEqualTo(concat(records(0, 3)));
    RecordWriter next = writer.reopen(failingThird); // its own fsyncs work again
    assertThat(next.carried()).isFalse();
    assertThat(next.recovery().lastId()).isEqualTo("[{\"offset\":1}]");
    assertThat(Files.readAllBytes(file)).isEqualTo(concat(records(0, 2)));
    assertThat(next.append(records(2, 2)).error()).isNull();
    next.close();
    assertThat(Files.readAllBytes(file)).isEqualTo(concat(records(0, 4)));

    // The periodic fsync: what came after the last good one goes, however many fsyncs "worked" after the failure.
    Path other = dir.resolve("b");
    AtomicLong clock = new AtomicLong();
    calls[0] = 0;
    RecordWriter periodic = open(other, failingThird, 10, clock);
    for (int i = 0; i < 4; i++) {
      clock.addAndGet(10);
      periodic.append(records(i, 1)); // fsyncs 1, 2 work; 3 fails; 4 works
    }
    assertThat(calls[0]).isEqualTo(4);
    RecordWriter after = periodic.reopen(ChannelAppendFile::open);
    assertThat(after.recovery().lastId()).isEqualTo("[{\"offset\":1}]");
    after.close();
    assertThat(Files.readAllBytes(other)).isEqualTo(concat(records(0, 2)));

    // Stopped instead, its own fsync working: cut all the same, and the stop says so.
    Path third = dir.resolve("c");
    calls[0] = 0;
    RecordWriter stopped = open(third, failingThird, 10, clock);
    for (int i = 0; i < 4; i++) {
      clock.addAndGet(10);
      stopped.append(records(i, 1));
    }
    assertThatThrownBy(() -> stopped.close(true)).hasMessageContaining("an earlier fsync failed: cut the");
    assertThat(Files.readAllBytes(third)).isEqualTo(concat(records(0, 2)));
  }

  /**
   * The fsync made on the way out fails too (a moved file's, before the next one goes on from it; or a clean stop's):
   * the file is cut back all the same, and what goes on from it starts after the last durable record.
   */
  @Test
  void aFailureOfTheFsyncOnTheWayOutCutsToo() throws Exception {
    for (String how : List.of("moved, reopened", "closed")) {
      Path file = dir.resolve(how);
      int[] calls = {0};
      AppendFile.Opener failingSecond = failingForce(2, calls);
      AtomicLong clock = new AtomicLong();
      RecordWriter writer = open(file, failingSecond, 60_000, clock);
      clock.set(60_000);
      writer.append(records(0, 2)); // fsync 1 works
      clock.set(60_001);
      writer.append(records(2, 2)); // not yet due
      assertThat(calls[0]).isEqualTo(1);
      assertThat(writer.checkPath()).as("all four known to be at the path").isNull();
      if (how.startsWith("moved")) {
        Files.move(file, dir.resolve(how + ".1"));
        RecordWriter next = writer.reopen(ChannelAppendFile::open); // fsync 2, of the moved file, fails
        assertThat(next.carried()).isTrue();
        assertThat(next.recovery().lastId()).isEqualTo("[{\"offset\":1}]");
        next.close();
        assertThat(Files.readAllBytes(dir.resolve(how + ".1"))).isEqualTo(concat(records(0, 2)));
      } else {
        assertThatThrownBy(() -> writer.close(true)).as("the stop says its fsync failed").hasMessage("as if the disk failed");
        assertThat(Files.readAllBytes(file)).isEqualTo(concat(records(0, 2)));
      }
      assertThat(calls[0]).as("the cut made durable").isEqualTo(3);
    }
  }

  @Test
  void theFileAndItsDirectoryAreCreated() throws Exception {
    Path file = dir.resolve("data/sub/recentchanges");
    RecordWriter writer = open(file, ChannelAppendFile::open, 0, new AtomicLong());
    writer.append(records(0, 1));
    writer.close();
    assertThat(Files.readString(file, StandardCharsets.UTF_8)).startsWith("event: message\nid: [{\"offset\":0}]\ndata: {");
  }
}
