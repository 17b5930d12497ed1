package wikirecent.tail;

import java.util.function.DoubleSupplier;

/**
 * Exponential back-off with full jitter, capped: the n-th retry waits a random time in
 * [min/2, min(max, min * 2^n)], so many clients that lost Materialize at once do not all
 * come back in the same millisecond. {@link #reset()} after a success.
 */
final class Backoff {

  private final long minMillis;
  private final long maxMillis;
  private final DoubleSupplier random;
  private int failures;

  Backoff(long minMillis, long maxMillis, DoubleSupplier random) {
    if (minMillis < 1 || maxMillis < minMillis) {
      throw new IllegalArgumentException("back-off needs 1 <= min <= max, not " + minMillis + ".." + maxMillis);
    }
    this.minMillis = minMillis;
    this.maxMillis = maxMillis;
    this.random = random;
  }

  /** The delay before the next attempt; each call counts one more failure. */
  long next() {
    long ceiling = minMillis;
    for (int i = 0; i < failures && ceiling < maxMillis; i++) {
      ceiling *= 2;
    }
    ceiling = Math.min(ceiling, maxMillis);
    failures++;
    long floor = Math.max(1, minMillis / 2);
    if (ceiling <= floor) {
      return ceiling;
    }
    return floor + (long) (random.getAsDouble() * (ceiling - floor));
  }

  int failures() {
    return failures;
  }

  void reset() {
    failures = 0;
  }
}
