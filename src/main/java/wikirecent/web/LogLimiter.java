package wikirecent.web;

import org.slf4j.Logger;
import org.slf4j.event.Level;

import java.util.function.Supplier;

/**
 * At most one line per interval for one kind of event a client can cause as often as it likes;
 * the next line says how many were left out meanwhile. Never a stack trace: the text is built
 * by the caller, and only when it is written.
 */
final class LogLimiter {

  static final long INTERVAL_MILLIS = 10_000;

  private final Logger log;
  private final Level level;
  private final long intervalNanos;
  private long lastNanos;
  private boolean logged;
  private long suppressed;

  LogLimiter(Logger log, Level level) {
    this(log, level, INTERVAL_MILLIS);
  }

  LogLimiter(Logger log, Level level, long intervalMillis) {
    this.log = log;
    this.level = level;
    this.intervalNanos = intervalMillis * 1_000_000;
  }

  /** Writes the line unless one was written less than an interval ago (then counts it). */
  synchronized void log(Supplier<String> line) {
    if (!log.isEnabledForLevel(level)) {
      return;
    }
    long now = System.nanoTime();
    if (logged && now - lastNanos < intervalNanos) {
      suppressed++;
      return;
    }
    String text = line.get();
    if (suppressed > 0) {
      text += " (and " + suppressed + " more like it in the last " + (now - lastNanos) / 1_000_000_000 + " s)";
    }
    log.atLevel(level).log(text);
    logged = true;
    lastNanos = now;
    suppressed = 0;
  }

  /** Text from a client, safe for one log line: printable ASCII only, and short. */
  static String clean(Object text) {
    String s = String.valueOf(text);
    StringBuilder sb = new StringBuilder(Math.min(s.length(), 120));
    for (int i = 0; i < s.length() && sb.length() < 120; i++) {
      char c = s.charAt(i);
      sb.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    if (s.length() > 120) {
      sb.append("...");
    }
    return sb.toString();
  }
}
