package wikirecent.records;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.Chars;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** RecordFormat.record(id, bytes), the overload ingest uses, gives the very bytes of record(id, String). */
class RecordFormatBytesTest {

  @Property(tries = 300)
  void bytesAndStringGiveTheSameRecord(
    @ForAll @Chars({'[', ']', '{', '}', '"', ':', ',', ' '}) @CharRange(from = 'a', to = 'z') @CharRange(from = '\u00e0', to = '\u00ff') @CharRange(from = '\u2600', to = '\u26ff') String id,
    @ForAll @Chars({'{', '}', '"', ':', ',', ' ', '\\'}) @CharRange(from = '0', to = '9') @CharRange(from = '\u0400', to = '\u04ff') @CharRange(from = '\u4e00', to = '\u4eff') String data) {
    assertThat(RecordFormat.record(id, data.getBytes(StandardCharsets.UTF_8))).isEqualTo(RecordFormat.record(id, data));
  }

  @Property(tries = 1000)
  void theRecordIsItsLinesOrALineBreakIsRefused(
    @ForAll @Chars({'[', ']', '"', '\n', '\r', '\u00e9', '\u4e00'}) @CharRange(from = 'a', to = 'c') String id,
    @ForAll @Chars({'{', '}', '"', '\n', '\r', '\u00e9', '\u4e00'}) @CharRange(from = 'a', to = 'c') String data) {
    // long enough data for the word-at-a-time search to run, with the break anywhere in it
    String padded = "x".repeat(data.length() % 11) + data + "y".repeat(17);
    boolean broken = (id + padded).chars().anyMatch(c -> c == '\n' || c == '\r');
    byte[] bytes = padded.getBytes(StandardCharsets.UTF_8);
    // the same data in the middle of a bigger array, with line breaks around it
    byte[] around = ("\n\r" + padded + "\r\n").getBytes(StandardCharsets.UTF_8);
    if (broken) {
      assertThatThrownBy(() -> RecordFormat.record(id, bytes)).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> RecordFormat.record(id, around, 2, bytes.length)).isInstanceOf(IllegalArgumentException.class);
    } else {
      String expected = "event: message\nid: " + id + "\ndata: " + padded + "\n\n";
      assertThat(new String(RecordFormat.record(id, bytes), StandardCharsets.UTF_8)).isEqualTo(expected);
      assertThat(new String(RecordFormat.record(id, around, 2, bytes.length), StandardCharsets.UTF_8)).isEqualTo(expected);
    }
  }

  @Test
  void aLineBreakInTheDataIsRefused() {
    assertThatThrownBy(() -> RecordFormat.record("1", "{\n}".getBytes(StandardCharsets.UTF_8))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RecordFormat.record("1", "{\r}".getBytes(StandardCharsets.UTF_8))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RecordFormat.record("1\r", "{}".getBytes(StandardCharsets.UTF_8))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RecordFormat.record("1\n2", "{}".getBytes(StandardCharsets.UTF_8))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RecordFormat.record("1\n2", "{}")).isInstanceOf(IllegalArgumentException.class);
  }
}
