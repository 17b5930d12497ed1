package wikirecent.jsonb;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Where lines end, found eight bytes at a time, and the UTF-8 rule PostgreSQL applies to text: the engine finds
 * its records' lines with it, ingest the SSE lines and the line breaks an event's data may hold; {@link JsonbCheck}
 * checks each non-ASCII sequence with {@link #utf8Length}.
 */
public final class LineScan {

  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGHS = 0x8080808080808080L;
  private static final long LOW_CONTROLS = ONES * 0x0E;

  private LineScan() {
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
