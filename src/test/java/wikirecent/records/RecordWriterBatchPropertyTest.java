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
 * Records written a batch per write call, against what one write per record gives: with the disk full at any byte,
 * the file holds exactly the records that fit whole, the result counts them, and the next one is the one that
 * failed; once there is room again the rest follow. Record sizes around the batch buffer's, so batches split
 * anywhere and some records go out on their own.
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
      Path file = dir.resolve("recentchanges");
      QuotaFile.Quota q = new QuotaFile.Quota();
      q.bytes.set(quota);
      RecordWriter writer = RecordWriter.open(file, q.opener(), 10, 4L << 20, -1, new AtomicLong()::get, RecordTailTest::meta);
      RecordWriter.Result r = writer.append(records);
      assertThat(r.written()).isEqualTo(fit);
      assertThat(r.bytes()).isEqualTo(fitBytes);
      assertThat(r.size()).isEqualTo(fitBytes);
      assertThat(r.error() == null).isEqualTo(fit == records.size());
      assertThat(q.failures).hasValue(fit == records.size() ? 0 : 1);
      assertThat(Files.readAllBytes(file)).isEqualTo(concat(records.subList(0, fit)));

      q.bytes.set(Long.MAX_VALUE);
      RecordWriter.Result rest = writer.append(records.subList(fit, records.size()));
      assertThat(rest.written()).isEqualTo(records.size() - fit);
      assertThat(rest.error()).isNull();
      assertThat(rest.repaired()).isFalse();
      writer.close();
      assertThat(Files.readAllBytes(file)).isEqualTo(concat(records));
    } finally {
      Dirs.deleteTree(dir);
    }
  }

  private static byte[] concat(List<byte[]> records) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    records.forEach(out::writeBytes);
    return out.toByteArray();
  }
}
