package wikirecent.bench;

import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Medians and percentiles: the median of a list is the middle value (the mean of the two middle ones for an even count);
 * percentiles, of a list or of a histogram, are nearest-rank. */
final class Stats {

  private Stats() {
  }

  static double median(List<? extends Number> xs) {
    if (xs.isEmpty()) {
      return Double.NaN;
    }
    List<Double> s = sorted(xs);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  private static List<Double> sorted(List<? extends Number> xs) {
    List<Double> s = new ArrayList<>();
    xs.forEach(x -> s.add(x.doubleValue()));
    Collections.sort(s);
    return s;
  }

  /**
   * The nearest-rank percentile ({@code percentile} in %, as {@link #ms}): the smallest value with at least that share of
   * the values at or below it, i.e. the ceil(p/100 * n)-th smallest (at least the first). HdrHistogram's
   * {@code getValueAtPercentile}, which {@link #ms} reads, takes the same rank. NaN when there are none.
   */
  static double percentile(List<? extends Number> xs, double percentile) {
    if (xs.isEmpty()) {
      return Double.NaN;
    }
    List<Double> s = sorted(xs);
    int n = s.size();
    // less a hair, so that 0.07 * 100, stored as 7.000000000000001, is rank 7 and not 8
    long rank = (long) Math.ceil(Math.min(100, Math.max(0, percentile)) / 100 * n - 1e-9);
    return s.get((int) Math.min(n, Math.max(1, rank)) - 1);
  }

  static double min(List<? extends Number> xs) {
    return xs.stream().mapToDouble(Number::doubleValue).min().orElse(Double.NaN);
  }

  static double max(List<? extends Number> xs) {
    return xs.stream().mapToDouble(Number::doubleValue).max().orElse(Double.NaN);
  }

  /** A histogram of microseconds (1 µs to 10 min, 3 significant digits). */
  static Histogram micros() {
    return new Histogram(1, 600_000_000L, 3);
  }

  /** The percentile of a microsecond histogram, in ms; NaN when it is empty. */
  static double ms(Histogram h, double percentile) {
    return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(percentile) / 1000.0;
  }

  /**
   * The percentile as it would be if {@code untimed} more values were all above the largest one timed: a bound on what
   * the pairs that could not be timed may hide. -1 when they alone reach past the percentile (no bound).
   */
  static double msIfUntimedSlowest(Histogram h, double percentile, long untimed) {
    long n = h.getTotalCount();
    if (n == 0) {
      return Double.NaN;
    }
    long rank = (long) Math.ceil(percentile / 100.0 * (n + Math.max(0, untimed)));
    return rank > n ? -1 : h.getValueAtPercentile(100.0 * rank / n) / 1000.0;
  }

  static double maxMs(Histogram h) {
    return h.getTotalCount() == 0 ? Double.NaN : h.getMaxValue() / 1000.0;
  }

  /** Clamps into the histogram's range (a negative value from clock granularity counts as 1 µs). */
  static long clampMicros(long micros) {
    return Math.max(1, Math.min(600_000_000L, micros));
  }
}
