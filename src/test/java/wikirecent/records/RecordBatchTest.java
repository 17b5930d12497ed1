package wikirecent.records;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.Chars;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Records built one after another in a batch (ingest's way) against {@link RecordFormat#record(String, String)}
 * one by one: the same bytes and boundaries, batch after batch in the same reused batch, growing past its first
 * array; a record refused for a line break leaves the batch as it was.
 */
class RecordBatchTest {

  @Property(tries = 300)
  void aBatchHoldsTheRecordsMadeOneByOne(
    @ForAll @Size(min = 1, max = 40) List<@Chars({'[', ']', '"', '\n', '\u00e9', '\u4e00'}) @CharRange(from = 'a', to = 'c') String> ids,
    @ForAll @Chars({'{', '}', '"', ':', '\r', '\u00e9', '\u4e00'}) @CharRange(from = 'a', to = 'c') String data,
    @ForAll @IntRange(min = 0, max = 40_000) int padding) {
    RecordBatch batch = new RecordBatch();
    for (int round = 0; round < 2; round++) {
      batch.clear();
      ByteArrayOutputStream expected = new ByteArrayOutputStream();
      int count = 0;
      for (int i = 0; i < ids.size(); i++) {
        String id = ids.get(i);
        String text = data + "x".repeat((padding * (i + 1)) % 50_000);
        byte[] around = ("\n" + text + "\n").getBytes(StandardCharsets.UTF_8);
        int len = around.length - 2;
        if ((id + text).chars().anyMatch(c -> c == '\n' || c == '\r')) {
          byte[] before = Arrays.copyOf(batch.bytes(), batch.size());
          assertThatThrownBy(() -> batch.add(id, around, 1, len)).isInstanceOf(IllegalArgumentException.class);
          assertThat(Arrays.copyOf(batch.bytes(), batch.size())).isEqualTo(before);
          continue;
        }
        byte[] record = ("event: message\nid: " + id + "\ndata: " + text + "\n\n").getBytes(StandardCharsets.UTF_8);
        assertThat(batch.add(id, around, 1, len)).isEqualTo(record.length);
        assertThat(Arrays.copyOfRange(batch.bytes(), batch.start(count), batch.end(count))).isEqualTo(record);
        expected.writeBytes(record);
        count++;
      }
      assertThat(batch.count()).isEqualTo(count);
      assertThat(Arrays.copyOf(batch.bytes(), batch.size())).isEqualTo(expected.toByteArray());
    }
  }
}
