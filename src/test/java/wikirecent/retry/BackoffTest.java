package wikirecent.retry;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class BackoffTest {

  @Test
  void failuresGrowExponentiallyWithFullJitterUpToTheCap() {
    Backoff b = new Backoff(100, 5_000, 1_000, new Random(1));
    long maxSeen = 0;
    for (int attempt = 0; attempt < 40; attempt++) {
      long step = Math.min(5_000, 100L << Math.min(attempt, 30));
      long d = b.afterFailure();
      assertThat(d).as("attempt %d", attempt).isBetween(1L, step);
      maxSeen = Math.max(maxSeen, d);
    }
    assertThat(maxSeen).isGreaterThan(2_500); // jitter reaches the upper half of the cap at some point
    b.reset();
    assertThat(b.afterFailure()).isBetween(1L, 100L);
  }

  @Test
  void throttlingWaitsAtLeastHalfTheLargerStepAndHonoursRetryAfter() {
    Backoff b = new Backoff(100, 60_000, 2_000, new Random(2));
    for (int attempt = 0; attempt < 10; attempt++) {
      long step = Math.min(60_000, 2_000L << attempt);
      assertThat(b.afterThrottle(-1)).isBetween(step / 2, step);
    }
    b.reset();
    assertThat(b.afterThrottle(30_000)).isGreaterThanOrEqualTo(30_000);
    assertThat(b.afterThrottle(Long.MAX_VALUE)).isEqualTo(Backoff.MAX_RETRY_AFTER_MILLIS);
  }

  @Test
  void retryAfterIsSecondsOrAnHttpDate() {
    Instant now = Instant.parse("2024-11-25T10:00:00Z");
    assertThat(Backoff.retryAfterMillis("120", now)).isEqualTo(120_000);
    assertThat(Backoff.retryAfterMillis(" 0 ", now)).isZero();
    assertThat(Backoff.retryAfterMillis("Mon, 25 Nov 2024 10:00:30 GMT", now)).isEqualTo(30_000);
    assertThat(Backoff.retryAfterMillis("Mon, 25 Nov 2024 09:00:00 GMT", now)).isZero();
    assertThat(Backoff.retryAfterMillis("soon", now)).isEqualTo(-1);
    assertThat(Backoff.retryAfterMillis(null, now)).isEqualTo(-1);
    assertThat(Backoff.retryAfterMillis("99999999999999999999", now)).isEqualTo(Backoff.MAX_RETRY_AFTER_MILLIS);
  }
}
