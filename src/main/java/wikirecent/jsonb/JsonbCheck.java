package wikirecent.jsonb;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One pass over a text that gives PostgreSQL's {@code text::jsonb} verdict, the same as a check of the text's UTF-8
 * and escapes followed by a full read with {@link JsonbReader}, without a JSON parser's symbol tables and text buffers: strict JSON
 * (RFC 8259: no comments, NaN, leading zeros, trailing commas, raw control characters in strings or escapes
 * other than JSON's), exactly one value, no byte-order mark, UTF-8 as PostgreSQL checks it, no {@code \u0000}
 * and no unpaired surrogate escape, numbers within numeric's range, nesting at most {@value JsonbReader#MAX_DEPTH}.
 * <p>
 * On the way it notes the members of the objects nested at most {@code memberDepth} deep (1: the root object's),
 * in document order, so a caller can pick values out without a second pass. Raw line breaks can only be
 * whitespace between tokens in an accepted text; {@link #hasLineBreak()} tells whether there were any.
 * Not thread-safe: one per thread, reused text after text.
 */
public final class JsonbCheck {

  /** What a member's value is. */
  public static final int STRING = 1;
  public static final int NUMBER = 2;
  public static final int TRUE = 3;
  public static final int FALSE = 4;
  public static final int NULL = 5;
  public static final int OBJECT = 6;
  public static final int ARRAY = 7;

  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGHS = 0x8080808080808080L;
  private static final long SPACES = ONES * ' ';
  private static final long QUOTES = ONES * '"';
  private static final long BACKSLASHES = ONES * '\\';

  // PostgreSQL numeric limits, as JsonbReader states them.
  private static final long MAX_EXPONENT = Integer.MAX_VALUE / 2;
  private static final long MAX_DSCALE = 0x3FFF;
  private static final long MAX_LEADING_EXPONENT = 131_071;
  /** An integer of at most this many characters is always within numeric's range. */
  private static final int SAFE_INTEGER_CHARS = 131_072;

  // A member: its object's depth, key [start, end) inside the quotes, value [start, end), flags.
  private static final int M_DEPTH = 0;
  private static final int M_KEY_START = 1;
  private static final int M_KEY_END = 2;
  private static final int M_VALUE_START = 3;
  private static final int M_VALUE_END = 4;
  private static final int M_FLAGS = 5;
  private static final int M_SIZE = 6;
  private static final int TYPE_MASK = 0xF;
  private static final int KEY_ESCAPED = 0x10;
  private static final int VALUE_ESCAPED = 0x20;

  private final int memberDepth;
  private int[] members = new int[M_SIZE * 32];
  private int memberCount;
  /** Per depth up to memberDepth: the member whose value is being read, or -1. */
  private final int[] openMember;
  /** Per depth: true for an object, false for an array. */
  private boolean[] objects = new boolean[64];

  private byte[] text;
  private String reason;
  private boolean lineBreak;
  private boolean escaped; // the last string read held an escape
  private int rootType;

  /** @param memberDepth members of objects at most this deep are noted (0: none) */
  public JsonbCheck(int memberDepth) {
    this.memberDepth = memberDepth;
    this.openMember = new int[memberDepth + 1];
  }

  /** True if PostgreSQL's {@code ::jsonb} accepts {@code b[off, off+len)}; else {@link #reason()} says why. */
  public boolean check(byte[] b, int off, int len) {
    text = b;
    memberCount = 0;
    reason = null;
    lineBreak = false;
    rootType = 0;
    Arrays.fill(openMember, -1);
    int end = off + len;
    if (len >= 3 && b[off] == (byte) 0xEF && b[off + 1] == (byte) 0xBB && b[off + 2] == (byte) 0xBF) {
      return refused("a byte-order mark");
    }
    int i = off;
    int depth = 0;
    boolean valueNext = true; // else: a value just ended at this depth
    while (true) {
      if (valueNext) {
        i = skipSpace(b, i, end);
        if (i >= end) {
          return refused(depth == 0 ? "no JSON value" : "unexpected end of the value");
        }
        int c = b[i];
        int member = depth >= 1 && depth <= memberDepth ? openMember[depth] : -1;
        int type;
        switch (c) {
          case '{', '[' -> {
            if (++depth > JsonbReader.MAX_DEPTH) {
              return refused("nesting deeper than " + JsonbReader.MAX_DEPTH);
            }
            if (depth == objects.length) {
              objects = Arrays.copyOf(objects, depth * 2);
            }
            boolean object = c == '{';
            objects[depth] = object;
            if (member >= 0) {
              members[member + M_VALUE_START] = i;
              members[member + M_FLAGS] |= object ? OBJECT : ARRAY;
            } else if (depth == 1) {
              rootType = object ? OBJECT : ARRAY;
            }
            i = skipSpace(b, i + 1, end);
            if (i < end && b[i] == (object ? '}' : ']')) {
              i++;
              depth--;
              valueNext = false;
            } else if (object) {
              i = key(b, i, end, depth);
              if (i < 0) {
                return false;
              }
            }
            continue; // an array's first value is next
          }
          case '"' -> {
            type = STRING;
            int start = i;
            i = string(b, i, end);
            if (i < 0) {
              return false;
            }
            if (member >= 0) {
              members[member + M_VALUE_START] = start;
              members[member + M_FLAGS] |= escaped ? STRING | VALUE_ESCAPED : STRING;
            }
          }
          case 't', 'f', 'n' -> {
            int start = i;
            if (matches(b, i, end, "true")) {
              type = TRUE;
              i += 4;
            } else if (matches(b, i, end, "false")) {
              type = FALSE;
              i += 5;
            } else if (matches(b, i, end, "null")) {
              type = NULL;
              i += 4;
            } else {
              return refused("an unrecognized token");
            }
            if (member >= 0) {
              members[member + M_VALUE_START] = start;
              members[member + M_FLAGS] |= type;
            }
          }
          default -> {
            if (c != '-' && (c < '0' || c > '9')) {
              return refused("an unexpected character");
            }
            type = NUMBER;
            int start = i;
            i = number(b, i, end);
            if (i < 0) {
              return false;
            }
            if (member >= 0) {
              members[member + M_VALUE_START] = start;
              members[member + M_FLAGS] |= NUMBER;
            }
          }
        }
        if (depth == 0) {
          rootType = type;
        }
        valueNext = false;
        continue;
      }
      // A value just ended at this depth.
      if (depth >= 1 && depth <= memberDepth) {
        int member = openMember[depth];
        if (member >= 0) {
          members[member + M_VALUE_END] = i;
          openMember[depth] = -1;
        }
      }
      i = skipSpace(b, i, end);
      if (depth == 0) {
        return i >= end || refused("more than one JSON value");
      }
      if (i >= end) {
        return refused("unexpected end of the value");
      }
      int c = b[i++];
      if (c == ',') {
        if (objects[depth]) {
          i = key(b, skipSpace(b, i, end), end, depth);
          if (i < 0) {
            return false;
          }
        }
        valueNext = true;
      } else if (c == (objects[depth] ? '}' : ']')) {
        depth--;
      } else {
        return refused(objects[depth] ? "expected ',' or '}' in an object" : "expected ',' or ']' in an array");
      }
    }
  }

  /** Why the last text was refused. */
  public String reason() {
    return reason;
  }

  /** What the last accepted text's one value is ({@link #OBJECT}, {@link #STRING}...). */
  public int rootType() {
    return rootType;
  }

  /** Whether the last accepted text held a raw line break (necessarily whitespace between tokens). */
  public boolean hasLineBreak() {
    return lineBreak;
  }

  /** How many members were noted, in document order: of the root object at depth 1, of objects in it at 2... */
  public int memberCount() {
    return memberCount;
  }

  /** The depth of the object member {@code m} belongs to: 1 for the root object. */
  public int depth(int m) {
    return members[m * M_SIZE + M_DEPTH];
  }

  public int valueType(int m) {
    return members[m * M_SIZE + M_FLAGS] & TYPE_MASK;
  }

  /** Where member {@code m}'s value starts in the text (at its quote for a string). */
  public int valueStart(int m) {
    return members[m * M_SIZE + M_VALUE_START];
  }

  /** Where member {@code m}'s value ends in the text (exclusive). */
  public int valueEnd(int m) {
    return members[m * M_SIZE + M_VALUE_END];
  }

  /** Whether member {@code m}'s key, unescaped, is {@code name}. */
  public boolean keyIs(int m, String name) {
    int k = m * M_SIZE;
    return same(members[k + M_KEY_START], members[k + M_KEY_END], (members[k + M_FLAGS] & KEY_ESCAPED) != 0, name);
  }

  /** Whether member {@code m}'s value is a string that, unescaped, is {@code s}. */
  public boolean valueIs(int m, String s) {
    int k = m * M_SIZE;
    return valueType(m) == STRING
      && same(members[k + M_VALUE_START] + 1, members[k + M_VALUE_END] - 1, (members[k + M_FLAGS] & VALUE_ESCAPED) != 0, s);
  }

  /** Member {@code m}'s string value, unescaped; null if it is not a string. */
  public String stringValue(int m) {
    int k = m * M_SIZE;
    if (valueType(m) != STRING) {
      return null;
    }
    int from = members[k + M_VALUE_START] + 1;
    int to = members[k + M_VALUE_END] - 1;
    return (members[k + M_FLAGS] & VALUE_ESCAPED) != 0 ? unescape(text, from, to) : new String(text, from, to - from, StandardCharsets.UTF_8);
  }

  /** Member {@code m}'s key, unescaped. */
  public String key(int m) {
    int k = m * M_SIZE;
    int from = members[k + M_KEY_START];
    int to = members[k + M_KEY_END];
    return (members[k + M_FLAGS] & KEY_ESCAPED) != 0 ? unescape(text, from, to) : new String(text, from, to - from, StandardCharsets.UTF_8);
  }

  private boolean same(int from, int to, boolean hasEscape, String s) {
    if (!hasEscape) {
      if (to - from == s.length()) {
        int i = 0;
        while (i < s.length() && text[from + i] == s.charAt(i)) { // a byte equals a char only when both are ASCII
          i++;
        }
        if (i == s.length()) {
          return true;
        }
      }
      boolean ascii = true;
      for (int i = 0; i < s.length() && ascii; i++) {
        ascii = s.charAt(i) < 0x80;
      }
      if (ascii) {
        return false; // UTF-8 that spells an ASCII string is that string's bytes
      }
      return new String(text, from, to - from, StandardCharsets.UTF_8).equals(s);
    }
    return unescape(text, from, to).equals(s);
  }

  /** Reads a key at {@code b[i]} (which should be its quote) and its colon; notes it as a member if shallow enough. */
  private int key(byte[] b, int i, int end, int depth) {
    if (i >= end || b[i] != '"') {
      return refuse(i >= end ? "unexpected end of the value" : "expected a quoted key");
    }
    int start = i + 1;
    i = string(b, i, end);
    if (i < 0) {
      return -1;
    }
    if (depth <= memberDepth) {
      int k = memberCount * M_SIZE;
      if (k + M_SIZE > members.length) {
        members = Arrays.copyOf(members, members.length * 2);
      }
      members[k + M_DEPTH] = depth;
      members[k + M_KEY_START] = start;
      members[k + M_KEY_END] = i - 1;
      members[k + M_VALUE_START] = -1;
      members[k + M_VALUE_END] = -1;
      members[k + M_FLAGS] = escaped ? KEY_ESCAPED : 0;
      openMember[depth] = k;
      memberCount++;
    }
    i = skipSpace(b, i, end);
    if (i >= end || b[i] != ':') {
      return refuse(i >= end ? "unexpected end of the value" : "expected ':' after a key");
    }
    return i + 1;
  }

  /** {@code b[i]} is a quote. Returns the index after the closing quote, or -1 (refused). */
  private int string(byte[] b, int i, int end) {
    escaped = false;
    i++;
    while (true) {
      while (i + 8 <= end) {
        // Flags quotes, backslashes, control bytes and non-ASCII bytes; the lowest flag is always a real one.
        long w = (long) LONGS.get(b, i);
        long q = w ^ QUOTES;
        long s = w ^ BACKSLASHES;
        long hits = (((w - SPACES) & ~w) | ((q - ONES) & ~q) | ((s - ONES) & ~s) | w) & HIGHS;
        if (hits != 0) {
          i += Long.numberOfTrailingZeros(hits) >>> 3;
          break;
        }
        i += 8;
      }
      if (i >= end) {
        return refuse("unexpected end of a string");
      }
      int c = b[i] & 0xFF;
      if (c == '"') {
        return i + 1;
      } else if (c == '\\') {
        escaped = true;
        i = escape(b, i, end);
        if (i < 0) {
          return -1;
        }
      } else if (c >= 0x80) {
        int n = LineScan.utf8Length(b, i, end);
        if (n == 0) {
          return refuse("invalid UTF-8 (PostgreSQL refuses it)");
        }
        i += n;
      } else if (c < 0x20) {
        return refuse("a raw control character in a string");
      } else {
        i++;
      }
    }
  }

  /** {@code b[i]} is a backslash in a string. Returns the index after the escape, or -1 (refused). */
  private int escape(byte[] b, int i, int end) {
    if (i + 1 >= end) {
      return refuse("unexpected end of a string");
    }
    switch (b[i + 1]) {
      case '"', '\\', '/', 'b', 'f', 'n', 'r', 't' -> {
        return i + 2;
      }
      case 'u' -> {
        int cp = hex4(b, i + 2, end);
        if (cp < 0) {
          return refuse("a \\u escape without four hex digits");
        }
        if (cp == 0) {
          return refuse("\\u0000 (PostgreSQL's jsonb refuses it)");
        }
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
          return refuse("an unpaired surrogate escape (PostgreSQL's jsonb refuses it)");
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          int low = i + 8 <= end && b[i + 6] == '\\' && b[i + 7] == 'u' ? hex4(b, i + 8, end) : -1;
          if (low < 0xDC00 || low > 0xDFFF) {
            return refuse("an unpaired surrogate escape (PostgreSQL's jsonb refuses it)");
          }
          return i + 12;
        }
        return i + 6;
      }
      default -> {
        return refuse("an invalid escape");
      }
    }
  }

  /** A number at {@code b[i]} (a '-' or a digit). Returns the index after it, or -1 (refused). */
  private int number(byte[] b, int i, int end) {
    int start = i;
    if (b[i] == '-') {
      i++;
    }
    if (i >= end || !isDigit(b[i])) {
      return refuse("a number without digits");
    }
    if (b[i++] == '0') {
      if (i < end && isDigit(b[i])) {
        return refuse("a number with a leading zero");
      }
    } else {
      while (i < end && isDigit(b[i])) {
        i++;
      }
    }
    boolean integer = true;
    if (i < end && b[i] == '.') {
      integer = false;
      i++;
      if (i >= end || !isDigit(b[i])) {
        return refuse("a number without digits after its point");
      }
      while (i < end && isDigit(b[i])) {
        i++;
      }
    }
    if (i < end && (b[i] == 'e' || b[i] == 'E')) {
      integer = false;
      i++;
      if (i < end && (b[i] == '+' || b[i] == '-')) {
        i++;
      }
      if (i >= end || !isDigit(b[i])) {
        return refuse("a number without exponent digits");
      }
      while (i < end && isDigit(b[i])) {
        i++;
      }
    }
    if ((!integer || i - start > SAFE_INTEGER_CHARS) && !numericFits(b, start, i)) {
      return refuse("a number out of PostgreSQL's numeric range");
    }
    return i;
  }

  /** Whether the JSON number {@code b[from, to)} fits PostgreSQL's numeric (as {@link JsonbReader#numericFits}). */
  static boolean numericFits(byte[] b, int from, int to) {
    int i = from;
    if (i < to && b[i] == '-') {
      i++;
    }
    int intStart = i;
    while (i < to && isDigit(b[i])) {
      i++;
    }
    int intEnd = i;
    int fracStart = i;
    int fracEnd = i;
    if (i < to && b[i] == '.') {
      fracStart = ++i;
      while (i < to && isDigit(b[i])) {
        i++;
      }
      fracEnd = i;
    }
    long exponent = 0;
    if (i < to && (b[i] == 'e' || b[i] == 'E')) {
      i++;
      boolean negative = false;
      if (i < to && (b[i] == '+' || b[i] == '-')) {
        negative = b[i] == '-';
        i++;
      }
      while (i < to && isDigit(b[i])) {
        exponent = Math.min(exponent * 10 + (b[i] - '0'), 10 * MAX_EXPONENT); // saturate
        i++;
      }
      if (negative) {
        exponent = -exponent;
      }
    }
    if (exponent >= MAX_EXPONENT || exponent <= -MAX_EXPONENT) {
      return false;
    }
    if (Math.max(0, (fracEnd - fracStart) - exponent) > MAX_DSCALE) {
      return false;
    }
    for (int k = intStart; k < intEnd; k++) {
      if (b[k] != '0') {
        return (intEnd - k - 1) + exponent <= MAX_LEADING_EXPONENT;
      }
    }
    for (int k = fracStart; k < fracEnd; k++) {
      if (b[k] != '0') {
        return -(k - fracStart + 1) + exponent <= MAX_LEADING_EXPONENT;
      }
    }
    return true; // zero
  }

  private int skipSpace(byte[] b, int i, int end) {
    while (i < end) {
      byte c = b[i];
      if (c == ' ' || c == '\t') {
        i++;
      } else if (c == '\n' || c == '\r') {
        lineBreak = true;
        i++;
      } else {
        break;
      }
    }
    return i;
  }

  private static boolean matches(byte[] b, int i, int end, String word) {
    if (i + word.length() > end) {
      return false;
    }
    for (int k = 0; k < word.length(); k++) {
      if (b[i + k] != word.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isDigit(byte c) {
    return c >= '0' && c <= '9';
  }

  private static int hex4(byte[] b, int from, int end) {
    if (from + 4 > end) {
      return -1;
    }
    int v = 0;
    for (int k = from; k < from + 4; k++) {
      int c = b[k];
      int d;
      if (c >= '0' && c <= '9') {
        d = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        d = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        d = c - 'A' + 10;
      } else {
        return -1;
      }
      v = (v << 4) | d;
    }
    return v;
  }

  /** The text of an accepted string's inside {@code b[from, to)} with its escapes decoded. */
  static String unescape(byte[] b, int from, int to) {
    StringBuilder sb = new StringBuilder(to - from);
    int run = from;
    int i = from;
    while (i < to) {
      if (b[i] != '\\') {
        i++;
        continue;
      }
      if (run < i) {
        sb.append(new String(b, run, i - run, StandardCharsets.UTF_8));
      }
      byte e = b[i + 1];
      switch (e) {
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'n' -> sb.append('\n');
        case 'r' -> sb.append('\r');
        case 't' -> sb.append('\t');
        case 'u' -> sb.append((char) hex4(b, i + 2, to));
        default -> sb.append((char) e); // " \ /
      }
      i += e == 'u' ? 6 : 2;
      run = i;
    }
    if (run < to) {
      sb.append(new String(b, run, to - run, StandardCharsets.UTF_8));
    }
    return sb.toString();
  }

  private int refuse(String why) {
    reason = why;
    return -1;
  }

  private boolean refused(String why) {
    reason = why;
    return false;
  }
}
