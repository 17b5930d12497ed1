package wikirecent.jsonb;

import wikirecent.replay.Sample;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

/**
 * Texts for comparing a JSON check with another: generated JSON values (objects with meta members most of the
 * time, every kind of value, escapes, numbers near numeric's limits, whitespace and line breaks between tokens),
 * the same with a few mutations (tokens, raw bytes PostgreSQL refuses, cuts), token soup, and mutated events of the
 * bundled sample. Deterministic for a seed.
 */
public final class JsonTexts {

  private static final String[] KEYS = {"meta", "id", "dt", "domain", "user", "a", "", "m\\u0065ta", "\\u0069d", "\\u0064t",
    "dom\\u0061in", "é", "meta ", "Meta", "\\\"", "i"};
  private static final String[] STRING_PIECES = {"a", "canary", "2024-01-01T00:00:00Z", "x y", "é", "😀", "\u2028", "\uFEFF",
    "\\u0041", "\\ud83d\\ude00", "\\uD83D\\uDE00", "\\n", "\\\"", "\\\\", "\\/", "\\b\\f\\r\\t", "\\u00e9", "\\u001f", "\u007f",
    "can\\u0061ry", "\\\\u0000", "abcdefghijklmnopqrstuvwxyz0123456789"};
  private static final String[] BAD_STRING_PIECES = {"\\u0000", "\\ud800", "\\udc00", "\\ud83dx", "\\ud83d\\ud83d", "\\x",
    "\\u12", "\\u12g4", "\t", "\\", "\\U0041", "\\'"};
  private static final String[] NUMBERS = {"0", "-0", "1", "-12", "1.50", "1e5", "1E+3", "-1.5e-3", "0.0", "100e-2",
    "12345678901234567890", "1e131071", "9.99e131071", "0.5e-16382", "1e-16383", "1e2147483646", "123456789e131063",
    "0e999999999999"};
  private static final String[] BAD_NUMBERS = {"01", "-", "1.", ".5", "+1", "1e", "1e+", "NaN", "Infinity", "-Infinity",
    "0x10", "1e131072", "0.5e-16383", "1e99999999999999999999", "1.5e-16384", "00", "-01", "1.e5", "2147483647e0", "1e1073741823"};
  private static final String[] SOUP = {"{", "}", "[", "]", ",", ":", "\"", "\"meta\"", "\"id\"", "\"dt\"", "\"domain\"",
    "\"canary\"", "1", "-0", "01", "1.5", "1e5", "true", "tru", "false", "null", "nul", " ", "\t", "\n", "\r", "\\",
    "\\u0000", "\\ud83d\\ude00", "\\ud800", "é", "NaN", "'a'", "/*c*/", "#"};
  private static final byte[][] RAW = {{(byte) 0xFF}, {(byte) 0xC3}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {0},
    {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, {0x1F}, {0x7F}, {(byte) 0xC0, (byte) 0x80}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
    {(byte) 0xE2, (byte) 0x80, (byte) 0xA8}, {(byte) 0xF0, (byte) 0x9F, (byte) 0x98, (byte) 0x80}, {'\n'}, {'\r'}};

  private JsonTexts() {
  }

  /** One text, of a kind chosen by {@code r}. */
  public static byte[] any(Random r) {
    return switch (r.nextInt(10)) {
      case 0, 1, 2 -> bytes(event(r, false));
      case 3, 4, 5 -> mutate(r, bytes(event(r, r.nextInt(4) == 0)));
      case 6 -> bytes(value(r, 0, r.nextInt(5) == 0));
      case 7 -> soup(r);
      default -> mutate(r, sample(r));
    };
  }

  /** An object with a few top-level members, one or more of them often {@code meta}. */
  public static String event(Random r, boolean bad) {
    StringBuilder sb = new StringBuilder();
    sb.append(space(r)).append('{');
    int members = r.nextInt(5);
    for (int m = 0; m < members; m++) {
      if (m > 0) {
        sb.append(space(r)).append(',');
      }
      if (r.nextInt(3) == 0) {
        sb.append(space(r)).append(quote(r.nextBoolean() ? "meta" : KEYS[r.nextInt(KEYS.length)])).append(space(r)).append(':')
          .append(space(r)).append(r.nextInt(6) == 0 ? value(r, 1, bad) : meta(r, bad));
      } else {
        sb.append(space(r)).append(quote(KEYS[r.nextInt(KEYS.length)])).append(space(r)).append(':').append(value(r, 1, bad));
      }
    }
    return sb.append(space(r)).append('}').append(space(r)).toString();
  }

  private static String meta(Random r, boolean bad) {
    StringBuilder sb = new StringBuilder("{");
    int members = r.nextInt(5);
    for (int m = 0; m < members; m++) {
      if (m > 0) {
        sb.append(',');
      }
      String key = r.nextInt(4) == 0 ? KEYS[r.nextInt(KEYS.length)] : new String[] {"id", "dt", "domain"}[r.nextInt(3)];
      String value = r.nextInt(4) == 0 ? value(r, 2, bad)
        : key.equals("domain") && r.nextBoolean() ? quote(r.nextBoolean() ? "canary" : "can\\u0061ry") : string(r, bad);
      sb.append(space(r)).append(quote(key)).append(space(r)).append(':').append(space(r)).append(value).append(space(r));
    }
    return sb.append('}').toString();
  }

  private static String value(Random r, int depth, boolean bad) {
    int kind = r.nextInt(depth > 3 ? 4 : 7);
    String s = switch (kind) {
      case 0 -> string(r, bad);
      case 1 -> bad && r.nextInt(3) == 0 ? BAD_NUMBERS[r.nextInt(BAD_NUMBERS.length)] : NUMBERS[r.nextInt(NUMBERS.length)];
      case 2 -> new String[] {"true", "false", "null"}[r.nextInt(3)];
      case 3 -> {
        // nesting around the limit: one under it, at it, one past it
        int n = r.nextInt(20) == 0 ? JsonbReader.MAX_DEPTH - depth - 1 + r.nextInt(3) : 0;
        yield n > 0 ? "[".repeat(n) + "]".repeat(n) : quote("");
      }
      case 4 -> {
        StringBuilder sb = new StringBuilder("[");
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) {
          sb.append(i > 0 ? "," : "").append(space(r)).append(value(r, depth + 1, bad)).append(space(r));
        }
        yield sb.append(']').toString();
      }
      case 5 -> meta(r, bad);
      default -> {
        StringBuilder sb = new StringBuilder("{");
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) {
          sb.append(i > 0 ? "," : "").append(space(r)).append(quote(KEYS[r.nextInt(KEYS.length)])).append(':')
            .append(value(r, depth + 1, bad));
        }
        yield sb.append('}').toString();
      }
    };
    return space(r) + s + space(r);
  }

  private static String string(Random r, boolean bad) {
    StringBuilder sb = new StringBuilder();
    int n = r.nextInt(4);
    for (int i = 0; i < n; i++) {
      sb.append(bad && r.nextInt(4) == 0 ? BAD_STRING_PIECES[r.nextInt(BAD_STRING_PIECES.length)]
        : STRING_PIECES[r.nextInt(STRING_PIECES.length)]);
    }
    return quote(sb.toString());
  }

  private static String quote(String inside) {
    return "\"" + inside + "\"";
  }

  private static String space(Random r) {
    return switch (r.nextInt(12)) {
      case 0 -> " ";
      case 1 -> "\t";
      case 2 -> "\n";
      case 3 -> "\r\n ";
      default -> "";
    };
  }

  private static byte[] soup(Random r) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int n = r.nextInt(12);
    for (int i = 0; i < n; i++) {
      if (r.nextInt(6) == 0) {
        out.writeBytes(RAW[r.nextInt(RAW.length)]);
      } else {
        out.writeBytes(bytes(SOUP[r.nextInt(SOUP.length)]));
      }
    }
    return out.toByteArray();
  }

  private static byte[] sample(Random r) {
    List<String> lines = Sample.lines();
    return bytes(lines.get(r.nextInt(lines.size())));
  }

  /** Up to three edits: a token, string piece or raw byte put in, a few bytes cut, or one byte changed. */
  public static byte[] mutate(Random r, byte[] base) {
    int edits = 1 + r.nextInt(3);
    for (int e = 0; e < edits; e++) {
      int at = r.nextInt(base.length + 1);
      byte[] piece;
      int cut = 0;
      switch (r.nextInt(5)) {
        case 0 -> piece = RAW[r.nextInt(RAW.length)];
        case 1 -> piece = bytes(SOUP[r.nextInt(SOUP.length)]);
        case 2 -> piece = bytes(r.nextBoolean() ? BAD_STRING_PIECES[r.nextInt(BAD_STRING_PIECES.length)]
          : BAD_NUMBERS[r.nextInt(BAD_NUMBERS.length)]);
        case 3 -> {
          piece = new byte[0];
          cut = Math.min(base.length - at, 1 + r.nextInt(3));
        }
        default -> {
          piece = new byte[] {(byte) r.nextInt(256)};
          cut = Math.min(base.length - at, 1);
        }
      }
      byte[] next = new byte[base.length - cut + piece.length];
      System.arraycopy(base, 0, next, 0, at);
      System.arraycopy(piece, 0, next, at, piece.length);
      System.arraycopy(base, at + cut, next, at + piece.length, base.length - at - cut);
      base = next;
    }
    return base;
  }

  public static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
