package wikirecent.bench;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The arithmetic the scenarios' figures rest on: percentiles. Every expected value is worked out by hand here.
 */
class MeasurementArithmeticTest {

  @Test
  void percentilesAreNearestRankAsTheHistogramsAndTheMedianIsTheMiddle() {
    List<Double> tenUnsorted = List.of(7.0, 3.0, 10.0, 1.0, 9.0, 2.0, 8.0, 4.0, 6.0, 5.0);
    // ceil(p/100 * 10)-th smallest
    assertThat(Stats.percentile(tenUnsorted, 50)).isEqualTo(5.0); // rank 5 (floor(0.5 * 10) took the 6th)
    assertThat(Stats.percentile(tenUnsorted, 90)).isEqualTo(9.0); // rank 9
    assertThat(Stats.percentile(tenUnsorted, 91)).isEqualTo(10.0); // ceil(9.1) = 10
    assertThat(Stats.percentile(tenUnsorted, 99)).isEqualTo(10.0);
    assertThat(Stats.percentile(tenUnsorted, 100)).isEqualTo(10.0);
    assertThat(Stats.percentile(tenUnsorted, 0)).isEqualTo(1.0); // at least the first
    assertThat(Stats.percentile(tenUnsorted, 10)).isEqualTo(1.0);
    assertThat(Stats.percentile(tenUnsorted, 11)).isEqualTo(2.0);
    assertThat(Stats.median(tenUnsorted)).isEqualTo(5.5);
    assertThat(Stats.percentile(List.of(42), 99)).isEqualTo(42.0);
    assertThat(Stats.percentile(List.<Double>of(), 50)).isNaN();

    List<Integer> hundred = new ArrayList<>();
    for (int i = 100; i >= 1; i--) {
      hundred.add(i);
    }
    // 0.07 * 100 is 7.000000000000001 in doubles: still rank 7
    assertThat(Stats.percentile(hundred, 7)).isEqualTo(7.0);
    assertThat(Stats.percentile(hundred, 99)).isEqualTo(99.0);
    assertThat(Stats.percentile(hundred, 99.9)).isEqualTo(100.0);

    // The histograms' percentiles (Stats.ms) take the same ranks: values 1..10 ms (to 3 digits: 5 ms reads 5.003).
    Histogram h = Stats.micros();
    for (int ms = 1; ms <= 10; ms++) {
      h.recordValue(ms * 1000L);
    }
    assertThat(Stats.ms(h, 50)).isEqualTo(5.0, within(0.01));
    assertThat(Stats.ms(h, 90)).isEqualTo(9.0, within(0.01));
    assertThat(Stats.ms(h, 91)).isEqualTo(10.0, within(0.01));
  }
}
