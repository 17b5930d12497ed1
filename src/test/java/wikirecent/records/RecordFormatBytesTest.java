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

  @Test
  void aLineBreakInTheDataIsRefused() {
    assertThatThrownBy(() -> RecordFormat.record("1", "{\n}".getBytes(StandardCharsets.UTF_8))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RecordFormat.record("1", "{\r}".getBytes(StandardCharsets.UTF_8))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RecordFormat.record("1\r", "{}".getBytes(StandardCharsets.UTF_8))).isInstanceOf(IllegalArgumentException.class);
  }
}
