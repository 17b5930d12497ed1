package wikirecent.ingest;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.time.format.DateTimeFormatter;

/**
 * EventStreams' {@code ?since=} parameter: where a stream starts when there is no id to resume from. Its value
 * is a time, ISO-8601 or milliseconds since the epoch; the stream starts at the first event at or after it.
 * Ingest sends it (the time of the last event written, or the backfill start of a fresh file); the replay
 * server reads it.
 */
public final class Since {

  public static final String PARAM = "since";

  private Since() {
  }

  /** An ISO-8601 date-time with an offset (or Z), or whole milliseconds since the epoch. */
  public static Instant parse(String value) {
    String v = value == null ? "" : value.trim();
    if (!v.isEmpty() && v.chars().allMatch(c -> c >= '0' && c <= '9') && v.length() <= 15) {
      return Instant.ofEpochMilli(Long.parseLong(v));
    }
    try {
      Instant t = OffsetDateTime.parse(v, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
      t.toEpochMilli(); // a year such as -300000000 parses, but no millisecond count holds it
      return t;
    } catch (DateTimeException | ArithmeticException e) {
      throw new IllegalArgumentException("since must be an ISO-8601 time (2024-05-01T12:00:00Z) or milliseconds since the epoch, not '"
        + EventPipeline.excerpt(v) + "'");
    }
  }

  /** An event's {@code meta.dt} as a time, or null if it is absent or not one. */
  static Instant ofMetaDt(String dt) {
    if (dt == null) {
      return null;
    }
    try {
      return parse(dt);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** As sent: ISO-8601 in UTC, to the millisecond ({@code 2024-05-01T12:00:00.250Z}). */
  public static String format(Instant t) {
    return DateTimeFormatter.ISO_INSTANT.format(t.truncatedTo(ChronoUnit.MILLIS));
  }

  /** {@code url} asking for events since {@code t}: the parameter added, or put in place of one already there. */
  static String addTo(String url, Instant t) {
    int hash = url.indexOf('#');
    String fragment = hash < 0 ? "" : url.substring(hash);
    String base = hash < 0 ? url : url.substring(0, hash);
    int q = base.indexOf('?');
    StringBuilder out = new StringBuilder(q < 0 ? base : base.substring(0, q));
    char sep = '?';
    if (q >= 0) {
      for (String param : base.substring(q + 1).split("&")) {
        if (!param.isEmpty() && !param.equals(PARAM) && !param.startsWith(PARAM + "=")) {
          out.append(sep).append(param);
          sep = '&';
        }
      }
    }
    out.append(sep).append(PARAM).append('=').append(URLEncoder.encode(format(t), StandardCharsets.UTF_8));
    return out.append(fragment).toString();
  }
}
