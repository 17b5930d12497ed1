package wikirecent.engine;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code data::jsonb ->> 'user'} line by line. The expectations were taken from PostgreSQL 15
 * ({@code PostgresSemanticsIT} checks the same and more against a live server when one is installed).
 */
class EventParserTest {

  private static final String INVALID = "<invalid>";

  static Stream<Arguments> lines() {
    return Stream.of(
      Arguments.of("{\"user\":\"Alice\"}", "Alice"),
      Arguments.of("{\"user\":\"Al\\u0069ce\"}", "Alice"),
      Arguments.of("{\"user\":\"\\ud83d\\ude00\"}", "\uD83D\uDE00"),
      Arguments.of("{\"user\":\"\\\\u0000\"}", "\\u0000"),
      Arguments.of("{\"meta\":{\"user\":\"inner\"},\"user\":\"outer\"}", "outer"),
      Arguments.of("{\"meta\":{\"user\":\"inner\"}}", null),
      Arguments.of("{\"user\":null}", null),
      Arguments.of("{}", null),
      Arguments.of("[1,2]", null),
      Arguments.of("\"Alice\"", null),
      Arguments.of("42", null),
      Arguments.of("null", null),
      Arguments.of("{\"user\":\"a\",\"user\":\"b\"}", "b"),
      Arguments.of("{\"user\":\"a\",\"user\":null}", null),
      Arguments.of("{\"user\":1e2}", "100"),
      Arguments.of("{\"user\":1E+2}", "100"),
      Arguments.of("{\"user\":1.50}", "1.50"),
      Arguments.of("{\"user\":-0}", "0"),
      Arguments.of("{\"user\":-0.0}", "0.0"),
      Arguments.of("{\"user\":0e5}", "0"),
      Arguments.of("{\"user\":100e-2}", "1.00"),
      Arguments.of("{\"user\":1.5e-3}", "0.0015"),
      Arguments.of("{\"user\":12345678901234567890123}", "12345678901234567890123"),
      Arguments.of("{\"user\":true}", "true"),
      Arguments.of("{\"user\":false}", "false"),
      Arguments.of("{\"user\":{\"bb\":1,\"a\":[1,2.0,\"x\\\\n\\u0001\\\"\",null,true,{}],\"c\":{\"z\":1,\"z\":2},\"é\":1,\"ab\":2}}",
        "{\"a\": [1, 2.0, \"x\\\\n\\u0001\\\"\", null, true, {}], \"c\": {\"z\": 2}, \"ab\": 2, \"bb\": 1, \"é\": 1}"),
      Arguments.of("{\"user\":[]}", "[]"),
      Arguments.of(" {\"user\" : \"x\" } \r", "x"),
      Arguments.of("{\"a\":1e131071,\"user\":\"big\"}", "big"),
      Arguments.of("{\"a\":1e-16383,\"user\":\"small\"}", "small"),
      Arguments.of("{\"a\":0e1073741822,\"user\":\"zero\"}", "zero"),
      Arguments.of("{\"a\":0.01e131073,\"user\":\"edge\"}", "edge"),
      // refused by PostgreSQL
      Arguments.of("", INVALID),
      Arguments.of(" ", INVALID),
      Arguments.of("{\"user\":\"x\"} x", INVALID),
      Arguments.of("{\"user\":\"x\"}{}", INVALID),
      Arguments.of("{\"user\":\"x\"", INVALID),
      Arguments.of("{\"user\":\"\\u0000\"}", INVALID),
      Arguments.of("{\"other\":\"\\u0000\",\"user\":\"x\"}", INVALID),
      Arguments.of("{\"user\":\"\\ud800\"}", INVALID),
      Arguments.of("{\"user\":\"\\udc00\"}", INVALID),
      Arguments.of("{\"user\":\"\\ud83dx\"}", INVALID),
      Arguments.of("{\"user\":\"\\ud83d\\ud83d\"}", INVALID),
      Arguments.of("{\"a\":1e131072,\"user\":\"x\"}", INVALID),
      Arguments.of("{\"a\":1e-16384,\"user\":\"x\"}", INVALID),
      Arguments.of("{\"a\":0.5e-16383,\"user\":\"x\"}", INVALID),
      Arguments.of("{\"a\":100000e-16388,\"user\":\"x\"}", INVALID),
      Arguments.of("{\"a\":0e1073741823,\"user\":\"x\"}", INVALID),
      Arguments.of("{\"a\":0e-1073741823,\"user\":\"x\"}", INVALID),
      Arguments.of("{\"user\":1e99999999999999999999}", INVALID),
      Arguments.of("{\"user\":NaN}", INVALID),
      Arguments.of("{\"user\":01}", INVALID),
      Arguments.of("{\"user\":'x'}", INVALID),
      Arguments.of("{\"user\":\"x\",}", INVALID),
      Arguments.of("{\"user\":\"a\tb\"}", INVALID));
  }

  @ParameterizedTest
  @MethodSource("lines")
  void readsTheUserAsPostgresDoes(String line, String expected) {
    assertUser(line.getBytes(StandardCharsets.UTF_8), expected);
  }

  @Test
  void bytesPostgresRefusesMakeTheLineInvalid() {
    String[] bad = {"C3", "FF", "80", "C080", "EDA080", "F4908080", "F5808080", "E08080", "00"};
    for (String hex : bad) {
      byte[] raw = new byte[hex.length() / 2];
      for (int i = 0; i < raw.length; i++) {
        raw[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
      }
      assertUser(EventLines.concat(bytes("{\"user\":\"x"), raw, bytes("\"}")), INVALID);
    }
    assertUser(EventLines.concat(new byte[]{(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, bytes("{\"user\":\"x\"}")), INVALID);
    assertUser(bytes("{\"user\":\"\uD83D\uDE00\u00E9\u2028\"}"), "\uD83D\uDE00\u00E9\u2028");
  }

  @Test
  void nestingUpToTheLimitIsFineBeyondItInvalid() {
    int n = EventParser.MAX_DEPTH;
    assertUser(bytes("{\"user\":" + "[".repeat(n - 1) + "]".repeat(n - 1) + "}"), "[".repeat(n - 1) + "]".repeat(n - 1));
    assertUser(bytes("{\"user\":" + "[".repeat(n) + "]".repeat(n) + "}"), INVALID);
  }

  @Test
  void aHugeNumberUserPrintsInFull() {
    EventParser p = new EventParser();
    byte[] line = bytes("{\"user\":1e5000}");
    assertThat(p.parse(line, 0, line.length)).isTrue();
    assertThat(p.user()).isEqualTo("1" + "0".repeat(5000));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void assertUser(byte[] line, String expected) {
    EventParser p = new EventParser();
    boolean valid = p.parse(line, 0, line.length);
    String shown = new String(line, StandardCharsets.UTF_8);
    if (shown.length() > 200) {
      shown = shown.substring(0, 200) + "...";
    }
    if (expected == INVALID) {
      assertThat(valid).as("invalid: %s", shown).isFalse();
    } else {
      assertThat(valid).as("valid: %s", shown).isTrue();
      assertThat(p.user()).as("user of %s", shown).isEqualTo(expected);
    }
  }
}
