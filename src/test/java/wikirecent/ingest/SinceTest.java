package wikirecent.ingest;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SinceTest {

  @Test
  void isoWithAnyOffsetOrEpochMilliseconds() {
    Instant t = Instant.parse("2018-03-07T16:16:17Z");
    assertThat(Since.parse("2018-03-07T16:16:17Z")).isEqualTo(t);
    assertThat(Since.parse("2018-03-07T16:16:17+00:00")).isEqualTo(t);
    assertThat(Since.parse("2018-03-07T17:16:17.000+01:00")).isEqualTo(t);
    assertThat(Since.parse(" 1520439377000 ")).isEqualTo(t);
    for (String bad : new String[] {"", "yesterday", "2018-03-07", "2018-03-07T16:16:17", "-5", "99999999999999999999",
      "-300000000-01-01T00:00:00Z", "+300000000-01-01T00:00:00Z"}) {
      assertThatThrownBy(() -> Since.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("since");
    }
    assertThat(Since.ofMetaDt("not a time")).isNull();
    assertThat(Since.ofMetaDt(null)).isNull();
  }

  @Test
  void sentAsUtcToTheMillisecond() {
    assertThat(Since.format(Instant.parse("2024-05-01T12:00:00.123456789Z"))).isEqualTo("2024-05-01T12:00:00.123Z");
    assertThat(Since.format(Instant.parse("2024-05-01T12:00:00Z"))).isEqualTo("2024-05-01T12:00:00Z");
  }

  @Test
  void addedToTheUrlReplacingOneAlreadyThere() {
    Instant t = Instant.parse("2024-05-01T12:00:00Z");
    String enc = "2024-05-01T12%3A00%3A00Z";
    assertThat(Since.addTo("https://h/v2/stream/recentchange", t)).isEqualTo("https://h/v2/stream/recentchange?since=" + enc);
    assertThat(Since.addTo("https://h/s?token=a&since=1&x", t)).isEqualTo("https://h/s?token=a&x&since=" + enc);
    assertThat(Since.addTo("https://h/s?#frag", t)).isEqualTo("https://h/s?since=" + enc + "#frag");
  }
}
