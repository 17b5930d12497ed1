package wikirecent.tail;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BackoffTest {

  @Test
  void theCeilingDoublesUpToTheCapAndResets() {
    Backoff highest = new Backoff(100, 1000, () -> 1.0);
    List<Long> delays = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      delays.add(highest.next());
    }
    assertThat(delays).containsExactly(100L, 200L, 400L, 800L, 1000L, 1000L, 1000L);
    highest.reset();
    assertThat(highest.next()).isEqualTo(100);

    Backoff lowest = new Backoff(100, 1000, () -> 0.0);
    assertThat(lowest.next()).isEqualTo(50);
    assertThat(lowest.next()).isEqualTo(50);
  }

  @Property
  void everyDelayIsWithinHalfTheMinimumAndTheCap(@ForAll @LongRange(min = 1, max = 10_000) long min,
                                                 @ForAll @LongRange(min = 0, max = 100_000) long extra,
                                                 @ForAll @IntRange(min = 1, max = 100) int attempts,
                                                 @ForAll @DoubleRange(min = 0, max = 1, maxIncluded = false) double jitter) {
    Backoff b = new Backoff(min, min + extra, () -> jitter);
    for (int i = 0; i < attempts; i++) {
      assertThat(b.next()).isBetween(Math.max(1, min / 2), min + extra);
    }
    assertThat(b.failures()).isEqualTo(attempts);
  }

  @Test
  void nonsenseBoundsAreRefused() {
    assertThatThrownBy(() -> new Backoff(0, 10, Math::random)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Backoff(10, 5, Math::random)).isInstanceOf(IllegalArgumentException.class);
  }
}
