package wikirecent.retry;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.random.RandomGenerator;

/**
 * How long to wait before the next connection attempt (to Wikimedia, to Materialize): exponential, capped, with jitter so many clients
 * (or one client's restarts) do not retry in lockstep.
 * <ul>
 *   <li>a failure (refused connection, reset, timeout, a 4xx): full jitter, {@code random(1, min(cap, base * 2^n))};</li>
 *   <li>a throttle (429, 5xx): a larger base and at least half the step ({@code step/2 + random(0, step/2)}),
 *       never less than the server's {@code Retry-After};</li>
 *   <li>{@link #reset()} after a connection that delivered events, so a routine cut reconnects at once.</li>
 * </ul>
 */
public final class Backoff {

  /** The longest Retry-After honoured, so a bogus header cannot park ingest for days. */
  public static final long MAX_RETRY_AFTER_MILLIS = Duration.ofHours(1).toMillis();

  private final long baseMillis;
  private final long capMillis;
  private final long throttleBaseMillis;
  private final RandomGenerator random;
  private int attempts;

  public Backoff(long baseMillis, long capMillis, long throttleBaseMillis, RandomGenerator random) {
    if (baseMillis <= 0 || capMillis < baseMillis || throttleBaseMillis <= 0) {
      throw new IllegalArgumentException("back-off needs 0 < base <= cap and a positive throttle base");
    }
    this.baseMillis = baseMillis;
    this.capMillis = capMillis;
    this.throttleBaseMillis = throttleBaseMillis;
    this.random = random;
  }

  public void reset() {
    attempts = 0;
  }

  public int attempts() {
    return attempts;
  }

  /** The delay after a failure that is not the server asking us to slow down. */
  public long afterFailure() {
    long step = step(baseMillis);
    attempts++;
    return 1 + random.nextLong(step); // at least 1 ms: a Vert.x timer refuses 0
  }

  /** The delay after a 429 or 5xx; {@code retryAfterMillis} is the server's wish, or -1. */
  public long afterThrottle(long retryAfterMillis) {
    long step = step(Math.max(baseMillis, throttleBaseMillis));
    attempts++;
    long delay = step / 2 + random.nextLong(step / 2 + 1);
    return Math.max(delay, Math.min(retryAfterMillis, MAX_RETRY_AFTER_MILLIS));
  }

  private long step(long base) {
    int shift = Math.min(attempts, 30);
    long step = base << shift;
    return step <= 0 || step > capMillis ? Math.max(capMillis, base) : step;
  }

  /**
   * A {@code Retry-After} header in milliseconds from {@code now}: delta-seconds or an HTTP date. -1 if absent or
   * not understood.
   */
  public static long retryAfterMillis(String header, Instant now) {
    if (header == null || header.isBlank()) {
      return -1;
    }
    String value = header.trim();
    if (value.chars().allMatch(c -> c >= '0' && c <= '9')) {
      try {
        return Math.multiplyExact(Long.parseLong(value), 1000L);
      } catch (ArithmeticException | NumberFormatException e) {
        return MAX_RETRY_AFTER_MILLIS;
      }
    }
    try {
      Instant at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      return Math.max(0, Duration.between(now, at).toMillis());
    } catch (DateTimeParseException e) {
      return -1;
    }
  }
}
