package wikirecent.jsonb;

import com.fasterxml.jackson.core.JsonToken;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The one-pass check against a plain two-step one: the text's UTF-8 and escapes ({@link PlainText}), then a full read with
 * {@link JsonbReader} (Jackson's strict parser plus PostgreSQL's limits). Same verdict on every text, the root's
 * type with it.
 */
class JsonbCheckPropertyTest {

  /** PlainText (a raw line break, whitespace to JSON, made a space for it) and a full JsonbReader read. */
  static boolean reference(byte[] b, int[] rootType) {
    byte[] flat = b.clone();
    for (int i = 0; i < flat.length; i++) {
      if (flat[i] == '\n') {
        flat[i] = ' ';
      }
    }
    if (!PlainText.ok(flat, 0, flat.length)) {
      return false;
    }
    JsonbReader r = new JsonbReader();
    try {
      r.start(b, 0, b.length);
      JsonToken first = r.next();
      rootType[0] = switch (first) {
        case START_OBJECT -> JsonbCheck.OBJECT;
        case START_ARRAY -> JsonbCheck.ARRAY;
        case VALUE_STRING -> JsonbCheck.STRING;
        case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> JsonbCheck.NUMBER;
        case VALUE_TRUE -> JsonbCheck.TRUE;
        case VALUE_FALSE -> JsonbCheck.FALSE;
        case VALUE_NULL -> JsonbCheck.NULL;
        default -> -1;
      };
      while (r.next() != null) {
        // read to the end
      }
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    } finally {
      r.close();
    }
  }

  private final JsonbCheck check = new JsonbCheck(2);

  private void agrees(byte[] b) {
    int[] rootType = {0};
    boolean expected = reference(b, rootType);
    boolean ours = check.check(b, 0, b.length);
    String shown = new String(b, StandardCharsets.UTF_8);
    shown = shown.length() > 400 ? shown.substring(0, 400) + "..." : shown;
    assertThat(ours).as("verdict on %s (%s)", shown, check.reason()).isEqualTo(expected);
    if (ours) {
      assertThat(check.rootType()).as("root of %s", shown).isEqualTo(rootType[0]);
    } else {
      assertThat(check.reason()).isNotBlank();
    }
  }

  @Property(tries = 3000)
  void sameVerdictAsPlainTextAndJackson(@ForAll long seed) {
    Random r = new Random(seed);
    for (int i = 0; i < 10; i++) {
      agrees(JsonTexts.any(r));
    }
  }

  @Property(tries = 2000)
  void sameVerdictOnEveryPrefix(@ForAll long seed) {
    // cut anywhere: inside strings, escapes, UTF-8 sequences, numbers, literals
    byte[] b = JsonTexts.any(new Random(seed));
    for (int n = 0; n <= Math.min(b.length, 300); n++) {
      agrees(java.util.Arrays.copyOf(b, n));
    }
  }

  @Example
  void theEdgesOfNestingAndNumbers() {
    for (int n : new int[] {JsonbReader.MAX_DEPTH - 1, JsonbReader.MAX_DEPTH, JsonbReader.MAX_DEPTH + 1}) {
      agrees(JsonTexts.bytes("[".repeat(n) + "]".repeat(n)));
      agrees(JsonTexts.bytes("{\"a\":".repeat(n) + "1" + "}".repeat(n)));
      agrees(JsonTexts.bytes("[".repeat(n)));
    }
    // integers are only checked against numeric's range when long enough to break it
    for (int digits : new int[] {131_071, 131_072, 131_073}) {
      agrees(JsonTexts.bytes("[" + "9".repeat(digits) + "]"));
      agrees(JsonTexts.bytes("-" + "1".repeat(digits)));
      agrees(JsonTexts.bytes("0." + "0".repeat(digits) + "1"));
    }
    agrees(JsonTexts.bytes("0." + "1".repeat(16_383)));
    agrees(JsonTexts.bytes("0." + "1".repeat(16_384)));
    agrees(JsonTexts.bytes("1" + "0".repeat(16_384) + "e-16384"));
  }

  @Test
  void numericFitsReadsBytesAsJsonbReaderReadsChars() {
    Random r = new Random(7);
    String[] parts = {"-", "0", "1", "9", "00", "5", ".", "e", "E", "+", "-", "131071", "131072", "16383", "16384",
      "2147483647", "1073741823", "1073741824", "99999999999999999999", "0000000000"};
    for (int i = 0; i < 200_000; i++) {
      StringBuilder sb = new StringBuilder();
      int n = 1 + r.nextInt(6);
      for (int k = 0; k < n; k++) {
        sb.append(parts[r.nextInt(parts.length)]);
      }
      String s = sb.toString();
      char[] c = s.toCharArray();
      assertThat(JsonbCheck.numericFits(s.getBytes(StandardCharsets.US_ASCII), 0, c.length)).as(s)
        .isEqualTo(JsonbReader.numericFits(c, 0, c.length));
    }
  }

  @Test
  void membersOfTheFirstLevelsAreNotedWithTheirValues() {
    byte[] b = JsonTexts.bytes("{\"meta\" : {\"id\":\"a\\u0062c\",\"n\":[{\"x\":1}],\"o\":{\"deep\":true}},\"m\\u0065ta\":-1.5e3,\"s\":\"é\"}");
    assertThat(check.check(b, 0, b.length)).isTrue();
    StringBuilder seen = new StringBuilder();
    for (int m = 0; m < check.memberCount(); m++) {
      seen.append(check.depth(m)).append(':').append(check.key(m)).append('=').append(check.valueType(m)).append('=')
        .append(new String(b, check.valueStart(m), check.valueEnd(m) - check.valueStart(m), StandardCharsets.UTF_8))
        .append(check.valueType(m) == JsonbCheck.STRING ? "=" + check.stringValue(m) : "").append(' ');
    }
    assertThat(seen.toString()).isEqualTo("1:meta=6={\"id\":\"a\\u0062c\",\"n\":[{\"x\":1}],\"o\":{\"deep\":true}} "
      + "2:id=1=\"a\\u0062c\"=abc 2:n=7=[{\"x\":1}] 2:o=6={\"deep\":true} 1:meta=2=-1.5e3 1:s=1=\"é\"=é ");
    assertThat(check.keyIs(4, "meta")).isTrue();
    assertThat(check.keyIs(3, "meta")).isFalse();
    assertThat(check.valueIs(1, "abc")).isTrue();
    assertThat(check.valueIs(5, "é")).isTrue();
    assertThat(check.valueIs(4, "-1.5e3")).isFalse();
    assertThat(check.hasLineBreak()).isFalse();
  }
}
