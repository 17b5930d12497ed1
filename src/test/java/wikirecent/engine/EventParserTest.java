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

  /** Line, expected wiki, bot, ts (null: NO_TS). Taken from PostgreSQL 15 ({@code ShapedPostgresIT} rechecks them). */
  static Stream<Arguments> shapedFields() {
    return Stream.of(
      Arguments.of("{\"wiki\":\"enwiki\",\"bot\":true,\"timestamp\":1520439377}", "enwiki", true, 1520439377L),
      Arguments.of("{\"wiki\":\"enwiki\",\"bot\":false,\"timestamp\":1520439377}", "enwiki", false, 1520439377L),
      Arguments.of("{}", null, false, null),
      Arguments.of("[{\"wiki\":\"a\",\"bot\":true,\"timestamp\":1}]", null, false, null),
      Arguments.of("\"wiki\"", null, false, null),
      Arguments.of("true", null, false, null),
      Arguments.of("{\"meta\":{\"wiki\":\"x\",\"bot\":true,\"timestamp\":5}}", null, false, null),
      // wiki: ->> text rules, as for the user
      Arguments.of("{\"wiki\":null}", null, false, null),
      Arguments.of("{\"wiki\":1e2}", "100", false, null),
      Arguments.of("{\"wiki\":false}", "false", false, null),
      Arguments.of("{\"wiki\":{\"b\":1,\"a\":[2.0]}}", "{\"a\": [2.0], \"b\": 1}", false, null),
      Arguments.of("{\"wiki\":\"a\",\"wiki\":\"b\"}", "b", false, null),
      Arguments.of("{\"wiki\":\"a\",\"wiki\":null}", null, false, null),
      // bot: only the literal true
      Arguments.of("{\"bot\":\"true\"}", null, false, null),
      Arguments.of("{\"bot\":1}", null, false, null),
      Arguments.of("{\"bot\":null}", null, false, null),
      Arguments.of("{\"bot\":[true]}", null, false, null),
      Arguments.of("{\"bot\":{\"bot\":true,\"user\":\"in\"},\"user\":\"out\"}", null, false, null),
      Arguments.of("{\"bot\":true,\"bot\":false}", null, false, null),
      Arguments.of("{\"bot\":false,\"bot\":true}", null, true, null),
      // timestamp: an integral number in [0, 2^53 - 1]
      Arguments.of("{\"timestamp\":0}", null, false, 0L),
      Arguments.of("{\"timestamp\":-0}", null, false, 0L),
      Arguments.of("{\"timestamp\":-0.0}", null, false, 0L),
      Arguments.of("{\"timestamp\":0e5}", null, false, 0L),
      Arguments.of("{\"timestamp\":0.000e-20}", null, false, 0L),
      Arguments.of("{\"timestamp\":-1}", null, false, null),
      Arguments.of("{\"timestamp\":-1e3}", null, false, null),
      Arguments.of("{\"timestamp\":15.0}", null, false, 15L),
      Arguments.of("{\"timestamp\":1.0e3}", null, false, 1000L),
      Arguments.of("{\"timestamp\":1e3}", null, false, 1000L),
      Arguments.of("{\"timestamp\":1.5e1}", null, false, 15L),
      Arguments.of("{\"timestamp\":100e-2}", null, false, 1L),
      Arguments.of("{\"timestamp\":1.5}", null, false, null),
      Arguments.of("{\"timestamp\":1e-5}", null, false, null),
      Arguments.of("{\"timestamp\":1520439377.000001}", null, false, null),
      Arguments.of("{\"timestamp\":9007199254740991}", null, false, 9007199254740991L),
      Arguments.of("{\"timestamp\":9007199254740991.000}", null, false, 9007199254740991L),
      Arguments.of("{\"timestamp\":9.007199254740991e15}", null, false, 9007199254740991L),
      Arguments.of("{\"timestamp\":9007199254740992}", null, false, null),
      Arguments.of("{\"timestamp\":9007199254740991.5}", null, false, null),
      Arguments.of("{\"timestamp\":10000000000000000}", null, false, null),
      Arguments.of("{\"timestamp\":123456789012345678901234567890}", null, false, null),
      Arguments.of("{\"timestamp\":1e131071}", null, false, null),
      Arguments.of("{\"timestamp\":\"1520439377\"}", null, false, null),
      Arguments.of("{\"timestamp\":true}", null, false, null),
      Arguments.of("{\"timestamp\":null}", null, false, null),
      Arguments.of("{\"timestamp\":[1]}", null, false, null),
      Arguments.of("{\"timestamp\":{\"timestamp\":1}}", null, false, null),
      Arguments.of("{\"timestamp\":1,\"timestamp\":\"x\"}", null, false, null),
      Arguments.of("{\"timestamp\":\"x\",\"timestamp\":2}", null, false, 2L),
      Arguments.of("{\"timestamp\":3,\"timestamp\":2}", null, false, 2L));
  }

  @ParameterizedTest
  @MethodSource("shapedFields")
  void readsWikiBotAndTimestampAsPostgresDoes(String line, String wiki, boolean bot, Long ts) {
    EventParser p = new EventParser();
    byte[] b = bytes(line);
    assertThat(p.parse(b, 0, b.length)).as("valid: %s", line).isTrue();
    assertThat(p.wiki()).as("wiki of %s", line).isEqualTo(wiki);
    assertThat(p.bot()).as("bot of %s", line).isEqualTo(bot);
    assertThat(p.ts()).as("ts of %s", line).isEqualTo(ts == null ? EventParser.NO_TS : ts);
  }

  @Test
  void aLineLeavesNothingOfTheOneBefore() {
    EventParser p = new EventParser();
    byte[] full = bytes("{\"user\":\"a\",\"wiki\":\"w\",\"bot\":true,\"timestamp\":7}");
    byte[] empty = bytes("{}");
    byte[] invalid = bytes("{\"wiki\":\"v\",\"bot\":true,\"timestamp\":8");
    assertThat(p.parse(full, 0, full.length)).isTrue();
    assertThat(p.parse(invalid, 0, invalid.length)).isFalse();
    assertThat(p.parse(empty, 0, empty.length)).isTrue();
    assertThat(p.user()).isNull();
    assertThat(p.wiki()).isNull();
    assertThat(p.bot()).isFalse();
    assertThat(p.ts()).isEqualTo(EventParser.NO_TS);
  }

  @Test
  void theSampleHasWikisBotsAndTimestamps() throws Exception {
    EventParser p = new EventParser();
    int events = 0;
    int bots = 0;
    java.util.Set<String> wikis = new java.util.HashSet<>();
    for (String line : wikirecent.replay.Sample.lines()) {
      byte[] b = bytes(line);
      if (p.parse(b, 0, b.length)) {
        events++;
        bots += p.bot() ? 1 : 0;
        assertThat(p.ts()).as("ts of %s", line).isBetween(1_500_000_000L, 1_700_000_000L);
        wikis.add(p.wiki());
      }
    }
    assertThat(events).isGreaterThan(5000);
    assertThat(bots).isBetween(1, events - 1);
    assertThat(wikis).contains("wikidatawiki").contains("enwiki").doesNotContainNull();
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
