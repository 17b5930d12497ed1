package wikirecent.engine;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import wikirecent.jsonb.JsonTexts;

import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link EventParser#parse} against {@link Oracle#read}, which decodes the line strictly, reads it into Jackson's
 * tree and renders {@code ->>} by PostgreSQL's rules without the engine's code (parse hands many lines to its own
 * Jackson pass, so that pass cannot be the reference): the same verdict, user, wiki, bot and timestamp on every
 * text, including duplicate and escaped keys and every kind of value for the four.
 */
class EventParserPropertyTest {

  private static final String[] KEYS = {"user", "wiki", "bot", "timestamp", "us\\u0065r", "w\\u0069ki", "b\\u006ft",
    "tim\\u0065stamp", "meta", "User", "user ", "title", "", "\\u0075ser"};
  private static final String[] SCALARS = {"\"Alice\"", "\"Al\\u0069ce\"", "\"é😀\"", "\"\\ud83d\\ude00\"", "\"\"",
    "\"enwiki\"", "\"x\\ny\"", "null", "true", "false", "0", "-0", "-0.0", "15.0", "1.5e1", "1.5", "1e2", "-12",
    "1520439377", "9007199254740991", "9007199254740992", "12345678901234567", "00", "1e131071", "0.01e3", "-1",
    "\"1520439377\"", "{}", "[]", "{\"b\":1,\"a\":[2.0,\"x\"]}", "[true,null]", "{\"bot\":true,\"user\":\"in\"}"};

  private final EventParser ours = new EventParser();

  @Property(tries = 3000)
  void sameReadingAsTheOracleTree(@ForAll long seed) {
    Random r = new Random(seed);
    for (int i = 0; i < 10; i++) {
      byte[] b = switch (r.nextInt(4)) {
        case 0 -> JsonTexts.any(r);
        case 1 -> JsonTexts.mutate(r, event(r));
        default -> event(r);
      };
      agrees(b);
    }
  }

  private void agrees(byte[] text) {
    byte[] b = text.clone(); // a line holds no raw line feed: the file's records end at one
    for (int i = 0; i < b.length; i++) {
      if (b[i] == '\n') {
        b[i] = ' ';
      }
    }
    String shown = new String(b, StandardCharsets.UTF_8);
    shown = shown.length() > 400 ? shown.substring(0, 400) + "..." : shown;
    Oracle.Reading expected = Oracle.read(b);
    assertThat(ours.parse(b, 0, b.length)).as("verdict on %s", shown).isEqualTo(expected.valid());
    if (expected.valid()) {
      assertThat(ours.user()).as("user of %s", shown).isEqualTo(expected.user());
      assertThat(ours.wiki()).as("wiki of %s", shown).isEqualTo(expected.wiki());
      assertThat(ours.bot()).as("bot of %s", shown).isEqualTo(expected.bot());
      assertThat(ours.ts()).as("timestamp of %s", shown).isEqualTo(expected.ts());
    }
  }

  /** An object whose members are mostly the four keys (some escaped, some repeated), with any kind of value. */
  private static byte[] event(Random r) {
    StringBuilder sb = new StringBuilder(r.nextInt(8) == 0 ? " " : "").append('{');
    int n = r.nextInt(7);
    for (int m = 0; m < n; m++) {
      sb.append(m > 0 ? "," : "").append('"').append(KEYS[r.nextInt(r.nextBoolean() ? 4 : KEYS.length)]).append("\":")
        .append(r.nextInt(10) == 0 ? " " : "").append(SCALARS[r.nextInt(SCALARS.length)]);
    }
    return JsonTexts.bytes(sb.append('}').toString());
  }
}
