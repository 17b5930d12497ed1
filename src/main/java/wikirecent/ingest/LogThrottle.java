package wikirecent.ingest;

/** At most one log line per interval for a recurring problem, saying how many were not logged in between. */
final class LogThrottle {

  private final long intervalMillis;
  private long lastLogged = Long.MIN_VALUE;
  private long suppressed;

  LogThrottle(long intervalMillis) {
    this.intervalMillis = intervalMillis;
  }

  /** -1 if this occurrence should not be logged, else how many occurrences were suppressed since the last line. */
  long admit(long nowMillis) {
    if (lastLogged != Long.MIN_VALUE && nowMillis - lastLogged < intervalMillis) {
      suppressed++;
      return -1;
    }
    lastLogged = nowMillis;
    long s = suppressed;
    suppressed = 0;
    return s;
  }
}
