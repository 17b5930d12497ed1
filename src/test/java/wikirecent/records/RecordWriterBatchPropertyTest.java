package wikirecent.records;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import wikirecent.testsupport.Dirs;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Records written a batch per write call, against what one write per record gives (the same writer handed one
 * record per append, each its own write, into a file of its own under the same quota): with the disk full at any
 * byte, both files hold the same bytes, exactly the records that fit whole; the batch's result counts them, and the
 * record that failed is the one the single writes failed at; once there is room again the rest follow and the
 * files are again the same. Record sizes around the batch buffer's, so batches split anywhere and some records go
 * out on their own.
 */
class RecordWriterBatchPropertyTest {

  @Property(tries = 60)
  void aFullDiskKeepsExactlyTheRecordsThatFitWhole(@ForAll @Size(min = 1, max = 12) List<@IntRange(min = 0, max = 9) Integer> kinds,
                                                    @ForAll @IntRange(min = 0, max = 1000) int quotaPermille,
                                                    @ForAll boolean onABoundary) throws Exception {
    List<byte[]> records = new ArrayList<>();
    for (int i = 0; i < kinds.size(); i++) {
      int padding = switch (kinds.get(i)) {
        case 0 -> RecordWriter.BATCH_BYTES + 10; // bigger than a batch: on its own
        case 1 -> RecordWriter.BATCH_BYTES / 3;
        case 2 -> RecordWriter.BATCH_BYTES / 2 - 100;
        default -> kinds.get(i) * 37;
      };
      records.add(RecordFormat.record("[{\"offset\":" + i + "}]", "{\"pad\":\"" + "x".repeat(padding) + "\"}"));
    }
    long total = 0;
    for (byte[] r : records) {
      total += r.length;
    }
    long quota = total * quotaPermille / 1000;
    if (onABoundary) { // the disk fills up right at the end of a record
      long at = 0;
      for (int i = 0; i < records.size() * quotaPermille / 1000; i++) {
        at += records.get(i).length;
      }
      quota = at;
    }
    int fit = 0;
    long fitBytes = 0;
    while (fit < records.size() && fitBytes + records.get(fit).length <= quota) {
      fitBytes += records.get(fit).length;
      fit++;
    }
    Path dir = Files.createTempDirectory("batch");
    try {
      OneAtATime single = oneAtATime(dir.resolve("single"), quota, records);
      // The reference itself: the records that fit whole, then the one after them failed.
      assertThat(single.written()).isEqualTo(fit);
      assertThat(single.bytes()).isEqualTo(fitBytes);
      assertThat(single.failed()).isEqualTo(fit < records.size());
      assertThat(single.full()).isEqualTo(concat(records.subList(0, fit)));

      Path file = dir.resolve("recentchanges");
      QuotaFile.Quota q = new QuotaFile.Quota();
      q.bytes.set(quota);
      RecordWriter writer = open(file, q);
      RecordWriter.Result r = writer.append(records);
      assertThat(Files.readAllBytes(file)).isEqualTo(single.full());
      assertThat(r.written()).isEqualTo(single.written());
      assertThat(r.bytes()).isEqualTo(single.bytes());
      assertThat(r.size()).isEqualTo(single.full().length);
      assertThat(r.error() != null).isEqualTo(single.failed());
      assertThat(q.failures.get()).isEqualTo(single.failures());

      q.bytes.set(Long.MAX_VALUE);
      RecordWriter.Result rest = writer.append(records.subList(r.written(), records.size()));
      assertThat(rest.written()).isEqualTo(records.size() - single.written());
      assertThat(rest.error()).isNull();
      assertThat(rest.repaired()).isFalse();
      writer.close();
      assertThat(Files.readAllBytes(file)).isEqualTo(single.after()).isEqualTo(concat(records));
    } finally {
      Dirs.deleteTree(dir);
    }
  }

  /**
   * What one write per record leaves: the file when the disk is full (bytes appended, records whole in it, whether
   * one failed, the quota's failures), then the file once the rest is appended with room again.
   */
  private record OneAtATime(int written, long bytes, boolean failed, int failures, byte[] full, byte[] after) {
  }

  private static OneAtATime oneAtATime(Path file, long quota, List<byte[]> records) throws Exception {
    QuotaFile.Quota q = new QuotaFile.Quota();
    q.bytes.set(quota);
    try (RecordWriter writer = open(file, q)) {
      int written = 0;
      long bytes = 0;
      boolean failed = false;
      while (written < records.size() && !failed) {
        RecordWriter.Result r = writer.append(List.of(records.get(written)));
        bytes += r.bytes();
        written += r.written();
        failed = r.error() != null;
      }
      byte[] full = Files.readAllBytes(file);
      int failures = q.failures.get();
      q.bytes.set(Long.MAX_VALUE);
      for (byte[] record : records.subList(written, records.size())) {
        assertThat(writer.append(List.of(record)).error()).isNull();
      }
      return new OneAtATime(written, bytes, failed, failures, full, Files.readAllBytes(file));
    }
  }

  private static RecordWriter open(Path file, QuotaFile.Quota q) throws Exception {
    return RecordWriter.open(file, q.opener(), 10, 4L << 20, -1, new AtomicLong()::get, RecordTailTest::meta);
  }

  private static byte[] concat(List<byte[]> records) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    records.forEach(out::writeBytes);
    return out.toByteArray();
  }
}
