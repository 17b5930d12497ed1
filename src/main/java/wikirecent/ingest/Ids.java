package wikirecent.ingest;

import java.nio.charset.StandardCharsets;

/** SSE ids as the feed gives them: whether one can go back in a Last-Event-ID header, and how to show one. */
final class Ids {

  private static final int SHOWN_CHARS = 200;

  private Ids() {
  }

  /**
   * Why {@code id} cannot be sent back byte for byte, or null if it can. HTTP keeps a header value's bytes but
   * drops white space at its ends and cannot carry control characters; an id that was not UTF-8 was already
   * changed when read; and proxies refuse long headers.
   */
  static String problem(String id, int maxBytes) {
    if (longerThan(id, maxBytes)) {
      return "the id is " + utf8Length(id) + " bytes, longer than stream.maxResumeIdBytes (" + maxBytes + ")";
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if ((c < 0x20 && c != '\t') || c == 0x7F) {
        return "the id holds a control character (U+" + String.format("%04X", (int) c) + ") no HTTP header can carry";
      }
      if (c == '\uFFFD') {
        return "the id held bytes that are not UTF-8, so it cannot go back as it came";
      }
    }
    if (!id.isEmpty() && (isBlank(id.charAt(0)) || isBlank(id.charAt(id.length() - 1)))) {
      return "the id starts or ends with white space, which HTTP drops from a header";
    }
    return null;
  }

  /** True if the id's UTF-8 form is longer than {@code maxBytes}: on the hot path, cheap for short ids. */
  static boolean longerThan(String id, int maxBytes) {
    return (long) id.length() * 3 > maxBytes && utf8Length(id) > maxBytes;
  }

  /** The header value that puts the id's UTF-8 bytes on the wire as they are (HTTP headers go out as Latin-1). */
  static String headerValue(String id) {
    return new String(id.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
  }

  /** The id for a log line or the status: its start and its size when it is long. */
  static String shown(String id) {
    if (id.length() <= SHOWN_CHARS) {
      return id;
    }
    return id.substring(0, SHOWN_CHARS) + "... (" + utf8Length(id) + " bytes)";
  }

  private static boolean isBlank(char c) {
    return c == ' ' || c == '\t';
  }

  private static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n++;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }
}
