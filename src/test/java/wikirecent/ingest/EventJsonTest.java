package wikirecent.ingest;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

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
}
