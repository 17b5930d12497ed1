package wikirecent.ingest;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import wikirecent.jsonb.JsonbReader;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class EventJsonTest {

  private static EventJson.Inspection inspect(String s) {
    return EventJson.inspect(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void anEventWithItsMetaId() {
    String data = "{\"$schema\":\"/mediawiki/recentchange/1.0.0\",\"meta\":{\"uri\":\"u\",\"id\":\"abc\",\"domain\":\"en.wikipedia.org\",\"n\":[1,{\"id\":\"x\"}]},\"user\":\"A\",\"id\":42}";
    EventJson.Inspection i = inspect(data);
    assertThat(i.kind()).isEqualTo(EventJson.Kind.EVENT);
    assertThat(i.metaId()).isEqualTo("abc");
    assertThat(new String(i.line(), StandardCharsets.UTF_8)).isEqualTo(data);
  }

  @Test
  void aNestedIdIsNotTheMetaId() {
    assertThat(inspect("{\"id\":\"top\",\"x\":{\"meta\":{\"id\":\"deep\"}}}").metaId()).isNull();
    assertThat(inspect("{\"meta\":{\"id\":7}}").metaId()).isNull();
    assertThat(inspect("{\"meta\":{\"id\":7}}").kind()).isEqualTo(EventJson.Kind.EVENT);
  }

  @Test
  void canariesAreRecognisedWhereverMetaIs() {
    assertThat(inspect("{\"$schema\":\"/mediawiki/recentchange/1.0.0\",\"meta\":{\"domain\":\"canary\",\"id\":\"c1\"}}").kind())
      .isEqualTo(EventJson.Kind.CANARY);
    assertThat(inspect("{\"meta\":{\"id\":\"c1\",\"domain\":\"canary\"},\"user\":\"x\"}").kind()).isEqualTo(EventJson.Kind.CANARY);
    assertThat(inspect("{\"meta\":{\"domain\":\"canary.org\"}}").kind()).isEqualTo(EventJson.Kind.EVENT);
    assertThat(inspect("{\"domain\":\"canary\"}").kind()).isEqualTo(EventJson.Kind.EVENT);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "not json", "{", "{\"a\":1", "{\"a\":1}}", "{\"a\":1} {\"b\":2}", "[1,2]", "42",
    "\"text\"", "null", "{'a':1}", "{\"a\":NaN}", "{\"a\":1,}", "{\"a\":\"raw\ttab\"}", "{\"a\":01}"})
  void whatIsNotOneJsonObjectIsInvalid(String data) {
    EventJson.Inspection i = inspect(data);
    assertThat(i.kind()).as(data).isEqualTo(EventJson.Kind.INVALID);
    assertThat(i.reason()).isNotBlank();
  }

  @Test
  void invalidUtf8IsInvalid() {
    byte[] data = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
    assertThat(EventJson.inspect(data).kind()).isEqualTo(EventJson.Kind.INVALID);
    byte[] skipped = {'{', '"', 'a', '"', ':', '[', '"', (byte) 0xFF, '"', ']', '}'};
    assertThat(EventJson.inspect(skipped).kind()).isEqualTo(EventJson.Kind.INVALID);
  }

  @Test
  void multiLineDataBecomesOneLineWithEveryValueSpelledAsSent() throws Exception {
    String data = "{\n  \"meta\": {\"id\": \"m 1\"},\n  \"s\": \"a  b\\\" \\\\\",\n\t\"n\": 1.50,\n  \"e\": 1E+3\n}";
    EventJson.Inspection i = inspect(data);
    assertThat(i.kind()).isEqualTo(EventJson.Kind.EVENT);
    assertThat(i.metaId()).isEqualTo("m 1");
    String line = new String(i.line(), StandardCharsets.UTF_8);
    assertThat(line).isEqualTo("{\"meta\":{\"id\":\"m 1\"},\"s\":\"a  b\\\" \\\\\",\"n\":1.50,\"e\":1E+3}");
    ObjectMapper mapper = new ObjectMapper();
    assertThat(mapper.readTree(line)).isEqualTo(mapper.readTree(data));
  }

  // What PostgreSQL's (and so Materialize's) data::jsonb refuses but a lenient JSON parser takes: never written.

  @ParameterizedTest
  @ValueSource(strings = {
    "{\"meta\":{\"id\":\"m\"},\"user\":\"a\\u0000b\"}",
    "{\"meta\":{\"id\":\"m\"},\"comment\":\"\\ud800\"}",
    "{\"meta\":{\"id\":\"m\"},\"comment\":\"\\udc00\"}",
    "{\"meta\":{\"id\":\"m\"},\"comment\":\"\\ud83dx\"}",
    "{\"meta\":{\"id\":\"m\"},\"comment\":\"\\ud83d\\ud83d\"}",
    "{\"meta\":{\"id\":\"m\"},\"n\":1e131072}",
    "{\"meta\":{\"id\":\"m\"},\"n\":0.5e-16383}",
    "{\"meta\":{\"id\":\"m\"},\"n\":1e99999999999999999999}"})
  void escapesAndNumbersPostgresRefusesAreInvalid(String data) {
    EventJson.Inspection i = inspect(data);
    assertThat(i.kind()).as(data).isEqualTo(EventJson.Kind.INVALID);
    assertThat(i.reason()).isNotBlank();
  }

  @Test
  void escapesPostgresTakesAreEvents() {
    for (String data : List.of("{\"s\":\"\\\\u0000\"}", "{\"s\":\"\\ud83d\\ude00\\u0001\\uFEFF\"}", "{\"n\":1e131071}",
      "{\"s\":\"\uD83D\uDE00\u00E9\u2028\"}")) {
      assertThat(inspect(data).kind()).as(data).isEqualTo(EventJson.Kind.EVENT);
    }
  }

  @Test
  void aByteOrderMarkIsInvalid() {
    byte[] data = concat(new byte[]{(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, utf8("{\"meta\":{\"id\":\"m\"}}"));
    EventJson.Inspection i = EventJson.inspect(data);
    assertThat(i.kind()).isEqualTo(EventJson.Kind.INVALID);
    assertThat(i.reason()).contains("byte-order mark");
  }

  @ParameterizedTest
  @ValueSource(strings = {"C3", "FF", "80", "C080", "C1BF", "E08080", "EDA080", "EDBFBF", "F08080", "F4908080", "F5808080", "00"})
  void bytesPostgresRefusesAreInvalidEvenWhereJacksonSkips(String hex) {
    byte[] raw = HexFormat.of().parseHex(hex);
    // inside a value the check reads, and inside one a lenient reader skips unread
    byte[] read = concat(utf8("{\"meta\":{\"id\":\"m\"},\"user\":\"x"), raw, utf8("\"}"));
    byte[] skipped = concat(utf8("{\"meta\":{\"id\":\"m\"},\"log\":[{\"a\":\"x"), raw, utf8("\"}]}"));
    assertThat(EventJson.inspect(read).kind()).isEqualTo(EventJson.Kind.INVALID);
    assertThat(EventJson.inspect(skipped).kind()).isEqualTo(EventJson.Kind.INVALID);
  }

  @Test
  void nestingUpToTheEnginesLimitIsAnEventBeyondItInvalid() {
    int n = JsonbReader.MAX_DEPTH;
    String fits = "{\"meta\":{\"id\":\"m\"},\"x\":" + "[".repeat(n - 1) + "]".repeat(n - 1) + "}";
    String tooDeep = "{\"meta\":{\"id\":\"m\"},\"x\":" + "[".repeat(n) + "]".repeat(n) + "}";
    assertThat(inspect(fits).kind()).isEqualTo(EventJson.Kind.EVENT);
    assertThat(inspect(tooDeep).kind()).isEqualTo(EventJson.Kind.INVALID);
  }

  @Test
  void longNumbersAndStringsWithinPostgresLimitsAreEvents() {
    // past Jackson's default limits (1000 digits, 1000 levels), well within PostgreSQL's
    String digits = "{\"meta\":{\"id\":\"m\"},\"n\":" + "7".repeat(5000) + "}";
    assertThat(inspect(digits).kind()).isEqualTo(EventJson.Kind.EVENT);
    String deep = "{\"x\":" + "{\"a\":".repeat(2000) + "1" + "}".repeat(2000) + "}";
    assertThat(inspect(deep).kind()).isEqualTo(EventJson.Kind.EVENT);
  }

  @Test
  void multiLineDataIsCheckedAsTheLineItBecomes() {
    assertThat(inspect("{\"meta\":{\"id\":\"m\"},\n\"s\":\"\\u0000\"}").kind()).isEqualTo(EventJson.Kind.INVALID);
    // whitespace between tokens goes; it must not join two tokens into one value
    assertThat(inspect("{\"meta\":{\"id\":\"m\"},\"n\":1\n2}").kind()).isEqualTo(EventJson.Kind.INVALID);
    assertThat(inspect("{\"a\":tr\nue}").kind()).isEqualTo(EventJson.Kind.INVALID);
  }

  @Test
  void withDuplicateKeysTheLastMetaCounts() {
    EventJson.Inspection i = inspect("{\"meta\":{\"id\":\"a\",\"domain\":\"canary\"},\"meta\":{\"id\":\"b\"}}");
    assertThat(i.kind()).isEqualTo(EventJson.Kind.EVENT);
    assertThat(i.metaId()).isEqualTo("b");
    assertThat(inspect("{\"meta\":{\"id\":\"a\",\"id\":2}}").metaId()).isNull();
    assertThat(inspect("{\"meta\":{\"id\":\"a\"},\"meta\":null}").metaId()).isNull();
    assertThat(inspect("{\"meta\":{\"x\":{\"id\":\"deep\"},\"id\":\"top\"}}").metaId()).isEqualTo("top");
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
