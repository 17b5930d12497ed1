package wikirecent.engine;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import wikirecent.jsonb.JsonbCheck;
import wikirecent.jsonb.JsonbReader;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads one {@code data:} line the way PostgreSQL reads {@code data::jsonb ->> 'user'}, in one pass over
 * the bytes in place ({@link JsonbCheck}, the check ingest makes before writing a line); a user or wiki
 * that is a number, object or array, or a timestamp that is not plain digits, is read again with
 * Jackson ({@link JsonbReader}), which renders them as PostgreSQL does:
 * <ul>
 *   <li>the line must be what PostgreSQL's jsonb input accepts: exactly one JSON value, valid UTF-8, no
 *       {@code \u0000} or unpaired surrogate escape, numbers within PostgreSQL's numeric range, nesting at
 *       most {@value #MAX_DEPTH} deep;</li>
 *   <li>a non-object value is an event with a NULL user; {@code "user": null} or no user is NULL;
 *       with duplicate keys the last one wins;</li>
 *   <li>a string user is its text; a number prints as PostgreSQL's numeric does; true/false as
 *       such; an object or array as jsonb prints it (keys by length then bytes, duplicates
 *       last-wins, {@code ", "} and {@code ": "}).</li>
 * </ul>
 * In the same pass it reads what shaped views filter on, each a top-level key of an object event
 * (last one wins), anything else being NULL / false:
 * <ul>
 *   <li>{@code wiki}: {@code val->>'wiki'}, by the user's rules;</li>
 *   <li>{@code bot}: {@code COALESCE(val->'bot' = 'true'::jsonb, false)}, true only for the literal {@code true};</li>
 *   <li>{@code timestamp}: a number whose value is an integer in [0, 2^53 - 1] ({@code 15.0} and {@code 1.5e1}
 *       included), else {@link #NO_TS}.</li>
 * </ul>
 * Not thread-safe: one per reader.
 */
public final class EventParser {

  static final int MAX_DEPTH = JsonbReader.MAX_DEPTH;
  /** {@link #ts} when the event has no usable timestamp (SQL NULL); valid ones are never negative. */
  public static final long NO_TS = -1;
  /** The largest timestamp taken (2^53 - 1, JavaScript's largest safe integer). */
  public static final long MAX_TS = 9_007_199_254_740_991L;
  private static final BigDecimal MAX_TS_DECIMAL = BigDecimal.valueOf(MAX_TS);

  private final JsonbCheck check = new JsonbCheck(1); // the root object's members
  private final JsonbReader reader = new JsonbReader();
  private String user;
  private String wiki;
  private boolean bot;
  private long ts = NO_TS;

  /** The factory this parser uses, for a like-for-like comparison loop in the benchmark. */
  public static JsonFactory factory() {
    return JsonbReader.factory();
  }

  /** Parses {@code b[off, off+len)} (the text after {@code "data: "}, no newline). True if it is an event. */
  public boolean parse(byte[] b, int off, int len) {
    JsonbCheck c = check;
    if (!c.check(b, off, len)) {
      return false;
    }
    String u = null;
    String w = null;
    boolean isBot = false;
    long time = NO_TS;
    if (c.rootType() == JsonbCheck.OBJECT) {
      for (int m = 0, n = c.memberCount(); m < n; m++) { // document order: the last of a duplicate key wins
        int type = c.valueType(m);
        if (c.keyIs(m, "user")) {
          if (type == JsonbCheck.NUMBER || type == JsonbCheck.OBJECT || type == JsonbCheck.ARRAY) {
            return parseWithJackson(b, off, len);
          }
          u = scalarText(c, m, type);
        } else if (c.keyIs(m, "wiki")) {
          if (type == JsonbCheck.NUMBER || type == JsonbCheck.OBJECT || type == JsonbCheck.ARRAY) {
            return parseWithJackson(b, off, len);
          }
          w = scalarText(c, m, type);
        } else if (c.keyIs(m, "bot")) {
          isBot = type == JsonbCheck.TRUE;
        } else if (c.keyIs(m, "timestamp")) {
          time = type == JsonbCheck.NUMBER ? digits(b, c.valueStart(m), c.valueEnd(m)) : NO_TS;
          if (time == NOT_DIGITS) {
            return parseWithJackson(b, off, len);
          }
        }
      }
    }
    user = u;
    wiki = w;
    bot = isBot;
    ts = time;
    return true;
  }

  /** {@code ->>}'s text of a string, true, false or null member. */
  private static String scalarText(JsonbCheck c, int m, int type) {
    return switch (type) {
      case JsonbCheck.STRING -> c.stringValue(m);
      case JsonbCheck.TRUE -> "true";
      case JsonbCheck.FALSE -> "false";
      default -> null;
    };
  }

  private static final long NOT_DIGITS = -2;

  /** An accepted number {@code b[from, to)} as a timestamp, if it is plain digits (with an optional minus); else {@link #NOT_DIGITS}. */
  private static long digits(byte[] b, int from, int to) {
    boolean negative = b[from] == '-';
    if (negative) {
      from++;
    }
    for (int i = from; i < to; i++) {
      if (b[i] < '0' || b[i] > '9') {
        return NOT_DIGITS; // a fraction or an exponent: exact decimal rules, in timestamp()
      }
    }
    if (to - from > 16) { // JSON has no leading zeros, so 17 or more digits are past MAX_TS
      return NO_TS;
    }
    long v = 0;
    for (int i = from; i < to; i++) {
      v = v * 10 + (b[i] - '0');
    }
    if (negative) {
      return v == 0 ? 0 : NO_TS; // -0 is numeric 0
    }
    return v <= MAX_TS ? v : NO_TS;
  }

  /** The whole line with Jackson: for the values only it renders as PostgreSQL does. The text is known to be valid. */
  boolean parseWithJackson(byte[] b, int off, int len) {
    JsonbReader r = reader;
    try {
      r.start(b, off, len);
      JsonToken t = r.next();
      boolean rootObject = t == JsonToken.START_OBJECT;
      String u = null;
      String w = null;
      boolean isBot = false;
      long time = NO_TS;
      JsonParser p = r.parser();
      while (t != null) {
        if (t == JsonToken.FIELD_NAME && rootObject && r.depth() == 1) {
          // A container value of bot or timestamp is left to the loop: its keys are deeper than 1.
          switch (p.currentName()) {
            case "user" -> u = userText(r, r.next());
            case "wiki" -> w = userText(r, r.next());
            case "bot" -> isBot = r.next() == JsonToken.VALUE_TRUE;
            case "timestamp" -> time = timestamp(p, r.next());
            default -> {
            }
          }
        }
        t = r.next();
      }
      user = u;
      wiki = w;
      bot = isBot;
      ts = time;
      return true;
    } catch (IOException | RuntimeException e) {
      return false; // whatever odd input makes Jackson (or the numeric check) throw: an invalid line
    } finally {
      r.close();
    }
  }

  /** The user of the last line {@link #parse} accepted; null is SQL NULL. */
  public String user() {
    return user;
  }

  /** The wiki of the last line {@link #parse} accepted; null is SQL NULL. */
  public String wiki() {
    return wiki;
  }

  /** Whether the last line {@link #parse} accepted has {@code "bot": true}. */
  public boolean bot() {
    return bot;
  }

  /** The event time (seconds) of the last line {@link #parse} accepted, or {@link #NO_TS}. */
  public long ts() {
    return ts;
  }

  /**
   * The timestamp the number token {@code t} stands for, or {@link #NO_TS}; the line is already known to be valid up to
   * it. Only for lines Jackson reads again (plain digits are read in the one pass): exact decimal arithmetic.
   */
  static long timestamp(JsonParser p, JsonToken t) throws IOException {
    if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
      BigDecimal d = new BigDecimal(p.getText());
      if (d.signum() == 0) {
        return 0;
      }
      if (d.signum() < 0 || d.compareTo(MAX_TS_DECIMAL) > 0 || d.stripTrailingZeros().scale() > 0) {
        return NO_TS;
      }
      return d.longValueExact();
    }
    return NO_TS;
  }

  /** The text {@code ->>} gives for the value starting at token {@code t}; consumes the value. */
  private static String userText(JsonbReader r, JsonToken t) throws IOException {
    JsonParser p = r.parser();
    switch (t) {
      case VALUE_STRING:
        return p.getText();
      case VALUE_NUMBER_INT:
      case VALUE_NUMBER_FLOAT:
        return numericText(p);
      case VALUE_TRUE:
        return "true";
      case VALUE_FALSE:
        return "false";
      case VALUE_NULL:
        return null;
      case START_OBJECT:
      case START_ARRAY:
        return JsonbText.render(r, t);
      default:
        throw new IOException("unexpected token " + t);
    }
  }

  /** A number as PostgreSQL's numeric_out prints it: plain notation, scale as written, never negative. */
  static String numericText(JsonParser p) throws IOException {
    if (!JsonbReader.numericFits(p)) {
      throw new NumericOverflow();
    }
    String text = p.getText();
    if (p.currentToken() == JsonToken.VALUE_NUMBER_INT) {
      return text.equals("-0") ? "0" : text;
    }
    BigDecimal d = new BigDecimal(text);
    if (d.scale() < 0) {
      d = d.setScale(0);
    }
    return d.toPlainString();
  }

  private static final class NumericOverflow extends RuntimeException {
    NumericOverflow() {
      super("value overflows numeric format", null, false, false);
    }
  }

  /** jsonb's text form of an object or array, built without recursion (nesting may be deep). */
  static final class JsonbText {

    // jsonb orders object keys by byte length, then bytes.
    static final Comparator<String> KEY_ORDER = (a, b) -> {
      byte[] x = a.getBytes(StandardCharsets.UTF_8);
      byte[] y = b.getBytes(StandardCharsets.UTF_8);
      return x.length != y.length ? Integer.compare(x.length, y.length) : Arrays.compareUnsigned(x, y);
    };

    /** A scalar already in its jsonb text form. */
    private record Scalar(String text) {
    }

    private JsonbText() {
    }

    static String render(JsonbReader r, JsonToken start) throws IOException {
      JsonParser p = r.parser();
      Object root = container(start);
      Deque<Object> open = new ArrayDeque<>();
      open.push(root);
      String key = null;
      while (!open.isEmpty()) {
        JsonToken t = r.next();
        if (t == null) {
          throw new IOException("unexpected end of input");
        }
        Object value;
        switch (t) {
          case FIELD_NAME -> {
            key = p.currentName();
            continue;
          }
          case END_OBJECT, END_ARRAY -> {
            open.pop();
            continue;
          }
          case START_OBJECT, START_ARRAY -> value = container(t);
          case VALUE_STRING -> value = new Scalar(quote(p.getText()));
          case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> value = new Scalar(numericText(p));
          case VALUE_TRUE -> value = new Scalar("true");
          case VALUE_FALSE -> value = new Scalar("false");
          case VALUE_NULL -> value = new Scalar("null");
          default -> throw new IOException("unexpected token " + t);
        }
        add(open.peek(), key, value);
        if (!(value instanceof Scalar)) {
          open.push(value);
        }
      }
      return print(root);
    }

    private static Object container(JsonToken start) {
      return start == JsonToken.START_OBJECT ? new TreeMap<String, Object>(KEY_ORDER) : new ArrayList<>();
    }

    @SuppressWarnings("unchecked")
    private static void add(Object parent, String key, Object value) {
      if (parent instanceof TreeMap) {
        ((TreeMap<String, Object>) parent).put(key, value); // a later duplicate replaces: last wins
      } else {
        ((List<Object>) parent).add(value);
      }
    }

    private static String print(Object root) {
      StringBuilder sb = new StringBuilder();
      Deque<Iterator<?>> stack = new ArrayDeque<>();
      Deque<Boolean> isObject = new ArrayDeque<>();
      Deque<Boolean> first = new ArrayDeque<>();
      Object next = root;
      while (true) {
        if (next != null) {
          if (next instanceof Scalar s) {
            sb.append(s.text());
          } else if (next instanceof TreeMap<?, ?> m) {
            sb.append('{');
            stack.push(m.entrySet().iterator());
            isObject.push(true);
            first.push(true);
          } else {
            sb.append('[');
            stack.push(((List<?>) next).iterator());
            isObject.push(false);
            first.push(true);
          }
          next = null;
        }
        if (stack.isEmpty()) {
          return sb.toString();
        }
        Iterator<?> it = stack.peek();
        if (!it.hasNext()) {
          stack.pop();
          first.pop();
          sb.append(isObject.pop() ? '}' : ']');
          continue;
        }
        if (!first.pop()) {
          sb.append(", ");
        }
        first.push(false);
        Object item = it.next();
        if (isObject.peek()) {
          Map.Entry<?, ?> e = (Map.Entry<?, ?>) item;
          sb.append(quote((String) e.getKey())).append(": ");
          next = e.getValue();
        } else {
          next = item;
        }
      }
    }

    /** PostgreSQL's escape_json. */
    static String quote(String s) {
      StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        switch (c) {
          case '\b' -> sb.append("\\b");
          case '\f' -> sb.append("\\f");
          case '\n' -> sb.append("\\n");
          case '\r' -> sb.append("\\r");
          case '\t' -> sb.append("\\t");
          case '"' -> sb.append("\\\"");
          case '\\' -> sb.append("\\\\");
          default -> {
            if (c < ' ') {
              sb.append(String.format("\\u%04x", (int) c));
            } else {
              sb.append(c);
            }
          }
        }
      }
      return sb.append('"').toString();
    }
  }
}
