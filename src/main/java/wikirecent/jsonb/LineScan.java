package wikirecent.jsonb;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Finds the end of a line and, in the same pass, checks the two things PostgreSQL refuses in
 * {@code text::jsonb} that a JSON parser accepts: bytes that are not valid UTF-8 for a PostgreSQL
 * text (including NUL, overlong forms, surrogates, code points past U+10FFFF), and the escapes
 * {@code \u0000} and unpaired surrogate escapes ({@code \ud800} not followed by a low surrogate
 * escape, or a lone {@code \udc00}). Everything else about JSON is left to Jackson.
 * <p>
 * Runs of ASCII without a backslash are skipped eight bytes at a time. The engine runs it over the file's
 * lines, ingest over each event before writing it ({@link JsonbReader} does the rest of the check).
 */
public final class LineScan {

  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGHS = 0x8080808080808080L;
  private static final long SPACES = ONES * ' ';
  private static final long BACKSLASHES = ONES * '\\';
  private static final long LOW_CONTROLS = ONES * 0x0E;

  private LineScan() {
  }

  /**
   * Scans {@code b[from, limit)} up to the first {@code '\n'}. Returns
   * {@code (end << 2) | (foundNewline ? 2 : 0) | (textOk ? 1 : 0)} where {@code end} is the index
   * of the newline, or {@code limit} if there is none; {@code textOk} covers {@code [from, end)}.
   */
  public static long scan(byte[] b, int from, int limit) {
    boolean ok = true;
    int i = from;
    while (i < limit) {
      if (i + 8 <= limit) {
        // Flags control bytes (the newline, NUL, tab, CR), backslashes and non-ASCII bytes.
        long w = (long) LONGS.get(b, i);
        long x = w ^ BACKSLASHES;
        long hits = (((w - SPACES) & ~w) | ((x - ONES) & ~x) | w) & HIGHS;
        if (hits == 0) {
          i += 8;
          continue;
        }
        // The lowest flagged byte is always a real hit (false positives only sit above one).
        i += Long.numberOfTrailingZeros(hits) >>> 3;
      }
      int c = b[i] & 0xFF;
      if (c == '\n') {
        return pack(i, true, ok);
      } else if (c == '\\') {
        int next = escapeEnd(b, i, limit);
        if (next < 0) {
          ok = false;
          next = ~next;
        }
        i = next;
      } else if (c >= 0x80) {
        int n = utf8Length(b, i, limit);
        if (n == 0) {
          ok = false;
          i++;
        } else {
          i += n;
        }
      } else {
        if (c == 0) {
          ok = false;
        }
        i++;
      }
    }
    return pack(limit, false, ok);
  }

  /** Index of the first {@code '\n'} in {@code b[from, limit)}, or -1: for lines whose text does not matter. */
  public static int newline(byte[] b, int from, int limit) {
    int i = from;
    for (; i + 8 <= limit; i += 8) {
      long x = (long) LONGS.get(b, i) ^ (ONES * '\n');
      long hits = (x - ONES) & ~x & HIGHS;
      if (hits != 0) {
        return i + (Long.numberOfTrailingZeros(hits) >>> 3);
      }
    }
    for (; i < limit; i++) {
      if (b[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  /** Index of the first {@code '\n'} or {@code '\r'} in {@code b[from, limit)}, or -1: where an SSE or record line ends. */
  public static int lineBreak(byte[] b, int from, int limit) {
    int i = from;
    while (i + 8 <= limit) {
      // Flags the bytes below 0x0E: CR and LF among them, and rarer ones (tab, other controls) looked at one by one.
      long w = (long) LONGS.get(b, i);
      long hits = (w - LOW_CONTROLS) & ~w & HIGHS;
      if (hits == 0) {
        i += 8;
        continue;
      }
      int k = i + (Long.numberOfTrailingZeros(hits) >>> 3); // the lowest flag is a real one
      if (b[k] == '\n' || b[k] == '\r') {
        return k;
      }
      i = k + 1;
    }
    for (; i < limit; i++) {
      if (b[i] == '\n' || b[i] == '\r') {
        return i;
      }
    }
    return -1;
  }

  public static int end(long scan) {
    return (int) (scan >>> 2);
  }

  public static boolean foundNewline(long scan) {
    return (scan & 2) != 0;
  }

  public static boolean textOk(long scan) {
    return (scan & 1) != 0;
  }

  /** True if {@code b[from, to)} (no newline in it) holds nothing PostgreSQL's text or jsonb input refuses early. */
  public static boolean textOk(byte[] b, int from, int to) {
    long s = scan(b, from, to);
    return textOk(s) && !foundNewline(s);
  }

  private static long pack(int end, boolean newline, boolean ok) {
    return ((long) end << 2) | (newline ? 2 : 0) | (ok ? 1 : 0);
  }

  /**
   * {@code b[i]} is a backslash. Returns the index after the escape, or its complement when it is
   * one PostgreSQL refuses. Malformed escapes are stepped over (Jackson rejects them), never
   * past a newline.
   */
  private static int escapeEnd(byte[] b, int i, int limit) {
    int j = i + 1;
    if (j >= limit || b[j] == '\n') {
      return j;
    }
    if (b[j] != 'u') {
      // step over a printable ASCII byte; anything else (NUL, non-ASCII) still gets its own check
      return b[j] >= 0x20 && b[j] < 0x7F ? j + 1 : j;
    }
    int cp = hex4(b, j + 1, limit);
    if (cp < 0) {
      return j + 1;
    }
    int after = j + 5;
    if (cp == 0 || isLowSurrogate(cp)) {
      return ~after;
    }
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (after + 1 < limit && b[after] == '\\' && b[after + 1] == 'u' && isLowSurrogate(hex4(b, after + 2, limit))) {
        return after + 6;
      }
      return ~after;
    }
    return after;
  }

  private static boolean isLowSurrogate(int cp) {
    return cp >= 0xDC00 && cp <= 0xDFFF;
  }

  private static int hex4(byte[] b, int from, int limit) {
    if (from + 4 > limit) {
      return -1;
    }
    int v = 0;
    for (int k = from; k < from + 4; k++) {
      int d = Character.digit(b[k], 16);
      if (d < 0) {
        return -1;
      }
      v = (v << 4) | d;
    }
    return v;
  }

  /** Length of the UTF-8 sequence at {@code b[i]} (a byte >= 0x80), or 0 if PostgreSQL would refuse it. */
  static int utf8Length(byte[] b, int i, int limit) {
    int c = b[i] & 0xFF;
    int n;
    if (c < 0xC2) {
      return 0; // continuation byte or overlong two-byte form
    } else if (c < 0xE0) {
      n = 2;
    } else if (c < 0xF0) {
      n = 3;
    } else if (c < 0xF5) {
      n = 4;
    } else {
      return 0;
    }
    if (i + n > limit) {
      return 0;
    }
    int a = b[i + 1] & 0xFF;
    int lo = 0x80;
    int hi = 0xBF;
    switch (c) {
      case 0xE0 -> lo = 0xA0; // overlong
      case 0xED -> hi = 0x9F; // surrogates
      case 0xF0 -> lo = 0x90; // overlong
      case 0xF4 -> hi = 0x8F; // past U+10FFFF
      default -> {
      }
    }
    if (a < lo || a > hi) {
      return 0;
    }
    for (int k = 2; k < n; k++) {
      a = b[i + k] & 0xFF;
      if (a < 0x80 || a > 0xBF) {
        return 0;
      }
    }
    return n;
  }
}
