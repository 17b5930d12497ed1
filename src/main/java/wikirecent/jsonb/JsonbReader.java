package wikirecent.jsonb;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;

import java.io.IOException;

/**
 * Reads one line as PostgreSQL's {@code text::jsonb} does, token by token, refusing what it refuses. The engine
 * reads with it the values {@link JsonbCheck}'s one pass does not print ({@code ->>} of a number, object or array,
 * which must equal PostgreSQL's text); the tests hold the one pass to this reader's verdicts.
 * <p>
 * The line's bytes must be known to be UTF-8 as PostgreSQL checks it, with no {@code \u0000} and no unpaired
 * surrogate escape ({@link JsonbCheck} accepted them). Then this reader, over Jackson's streaming parser,
 * refuses:
 * <ul>
 *   <li>a byte-order mark (Jackson would skip it);</li>
 *   <li>anything but exactly one JSON value: empty text, trailing garbage, a second value;</li>
 *   <li>nesting deeper than {@value #MAX_DEPTH} (PostgreSQL's own limit depends on its stack: about 13,000 at
 *       the default {@code max_stack_depth});</li>
 *   <li>a number outside PostgreSQL's numeric range;</li>
 *   <li>whatever else Jackson's strict defaults refuse (NaN, leading zeros, raw control characters...).</li>
 * </ul>
 * Not thread-safe: one per reader thread, reused line after line.
 */
public final class JsonbReader {

  public static final int MAX_DEPTH = 10_000;

  /** Why a line is refused. Cheap: no stack trace. */
  public static final class Refused extends IOException {
    Refused(String message) {
      super(message, null);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this;
    }
  }

  // PostgreSQL numeric limits (numeric.c): exponent |e| < INT_MAX/2, display scale <= 0x3FFF,
  // base-10000 weight <= 32767, i.e. the leading digit at most at 10^131071.
  private static final long MAX_EXPONENT = Integer.MAX_VALUE / 2;
  private static final long MAX_DSCALE = 0x3FFF;
  private static final long MAX_LEADING_EXPONENT = 131_071;
  // An integer token can only break the numeric range past this many digits.
  private static final int LONGEST_SAFE_LINE = 131_072;

  private static final JsonFactory FACTORY = JsonFactory.builder()
    .streamReadConstraints(StreamReadConstraints.builder()
      .maxNestingDepth(MAX_DEPTH)
      .maxNumberLength(Integer.MAX_VALUE)
      .maxStringLength(Integer.MAX_VALUE)
      .maxNameLength(Integer.MAX_VALUE)
      .build())
    .build();

  private JsonParser parser;
  private int depth;
  private boolean checkIntegers;
  private boolean complete;

  /** The factory the reader uses, for a like-for-like comparison loop in the benchmark. */
  public static JsonFactory factory() {
    return FACTORY;
  }

  /** Why a line was refused, from what {@link #next} (or Jackson under it) threw. */
  public static String reason(Exception e) {
    if (e instanceof com.fasterxml.jackson.core.JsonProcessingException j) {
      return j.getOriginalMessage();
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  /**
   * Starts reading {@code b[off, off+len)}, whose text is already known to be good. Throws {@link Refused} at
   * once for a byte-order mark.
   */
  public void start(byte[] b, int off, int len) throws IOException {
    close();
    if (len >= 3 && b[off] == (byte) 0xEF && b[off + 1] == (byte) 0xBB && b[off + 2] == (byte) 0xBF) {
      throw new Refused("a byte-order mark"); // Jackson would skip it, PostgreSQL refuses it
    }
    parser = FACTORY.createParser(b, off, len);
    depth = 0;
    complete = false;
    checkIntegers = len > LONGEST_SAFE_LINE;
  }

  /**
   * The next token of the line's one value; null once the value is complete and only whitespace follows.
   * Throws {@link Refused} (or Jackson's exception) as soon as the line is known to be refused.
   */
  public JsonToken next() throws IOException {
    JsonToken t = parser.nextToken();
    if (t == null) {
      if (!complete) {
        throw new Refused(depth == 0 ? "no JSON value" : "unexpected end of the value");
      }
      return null;
    }
    if (complete) {
      throw new Refused("more than one JSON value");
    }
    switch (t) {
      case START_OBJECT, START_ARRAY -> depth++;
      case END_OBJECT, END_ARRAY -> depth--;
      case VALUE_NUMBER_INT -> {
        if (checkIntegers && !numericFits(parser)) {
          throw new Refused("a number out of PostgreSQL's numeric range");
        }
      }
      case VALUE_NUMBER_FLOAT -> {
        if (!numericFits(parser)) {
          throw new Refused("a number out of PostgreSQL's numeric range");
        }
      }
      default -> {
      }
    }
    if (depth == 0) {
      complete = true;
    }
    return t;
  }

  /** Nesting depth after the last token: 1 inside the root object or array. */
  public int depth() {
    return depth;
  }

  /** Jackson's parser, for the current token's name and text. Advance with {@link #next} only. */
  public JsonParser parser() {
    return parser;
  }

  public void close() {
    if (parser != null) {
      try {
        parser.close();
      } catch (IOException e) {
        // a byte-array parser does no I/O
      }
      parser = null;
    }
  }

  /** Whether the current number token fits PostgreSQL's numeric (else: value overflows numeric format). */
  public static boolean numericFits(JsonParser p) throws IOException {
    char[] c = p.getTextCharacters();
    int off = p.getTextOffset();
    return numericFits(c, off, off + p.getTextLength());
  }

  static boolean numericFits(char[] c, int from, int to) {
    int i = from;
    if (i < to && c[i] == '-') {
      i++;
    }
    int intStart = i;
    while (i < to && isDigit(c[i])) {
      i++;
    }
    int intEnd = i;
    int fracStart = i;
    int fracEnd = i;
    if (i < to && c[i] == '.') {
      fracStart = ++i;
      while (i < to && isDigit(c[i])) {
        i++;
      }
      fracEnd = i;
    }
    long exponent = 0;
    if (i < to && (c[i] == 'e' || c[i] == 'E')) {
      i++;
      boolean negative = false;
      if (i < to && (c[i] == '+' || c[i] == '-')) {
        negative = c[i] == '-';
        i++;
      }
      while (i < to && isDigit(c[i])) {
        exponent = Math.min(exponent * 10 + (c[i] - '0'), 10 * MAX_EXPONENT); // saturate
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
      if (c[k] != '0') {
        return (intEnd - k - 1) + exponent <= MAX_LEADING_EXPONENT;
      }
    }
    for (int k = fracStart; k < fracEnd; k++) {
      if (c[k] != '0') {
        return -(k - fracStart + 1) + exponent <= MAX_LEADING_EXPONENT;
      }
    }
    return true; // zero
  }

  private static boolean isDigit(char ch) {
    return ch >= '0' && ch <= '9';
  }
}
