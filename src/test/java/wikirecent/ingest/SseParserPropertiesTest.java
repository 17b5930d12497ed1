package wikirecent.ingest;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random event streams, written out with random line ends, comments and field spellings, then cut into random
 * pieces: the parser must give exactly the events the stream was generated from, however it is cut.
 */
class SseParserPropertiesTest {

  /** One generated block: its fields, in the model's terms. */
  record Block(String type, List<String> ids, List<String> dataLines, boolean comment) {
  }

  @Provide
  Arbitrary<List<Block>> streams() {
    // pieces rather than chars, so the 4-byte character is never split into lone surrogates
    Arbitrary<String> text = Arbitraries.of("a", "b", "X", "0", "9", " ", ":", "{", "}", "\"", "\\", ",", "é", "✓", "𝄞", "\u0000", "\t")
      .list().ofMaxSize(12).map(pieces -> String.join("", pieces));
    Arbitrary<String> type = Arbitraries.of("", "message", "error", "other").injectNull(0.5);
    Arbitrary<List<String>> ids = text.list().ofMaxSize(2);
    Arbitrary<List<String>> data = text.list().ofMaxSize(3);
    Arbitrary<Block> block = Combinators.combine(type, ids, data, Arbitraries.of(true, false)).as(Block::new);
    return block.list().ofMaxSize(8);
  }

  @Property(tries = 400)
  void anySplitGivesTheEventsTheStreamWasMadeOf(@ForAll("streams") List<Block> blocks, @ForAll long seed) {
    Random random = new Random(seed);
    byte[] stream = write(blocks, random);
    List<SseEvent> expected = model(blocks);

    SseParserTest.Recorder whole = new SseParserTest.Recorder();
    new SseParser(whole).feed(stream);
    assertThat(whole.events).isEqualTo(expected);

    SseParserTest.Recorder pieces = new SseParserTest.Recorder();
    SseParser parser = new SseParser(pieces);
    int pos = 0;
    while (pos < stream.length) {
      int n = random.nextInt(4) == 0 ? 1 + random.nextInt(stream.length - pos) : 1 + random.nextInt(Math.min(5, stream.length - pos));
      // feed from the middle of a larger array, as a real chunk would be
      byte[] chunk = new byte[n + 6];
      System.arraycopy(stream, pos, chunk, 3, n);
      parser.feed(chunk, 3, n);
      pos += n;
    }
    assertThat(pieces.events).isEqualTo(expected);
  }

  /** What the blocks mean, by the spec's rules, computed without parsing. */
  static List<SseEvent> model(List<Block> blocks) {
    List<SseEvent> events = new ArrayList<>();
    String lastId = "";
    for (Block b : blocks) {
      for (String id : b.ids()) {
        if (id.indexOf('\u0000') < 0) {
          lastId = id;
        }
      }
      if (!b.dataLines().isEmpty()) {
        String type = b.type() == null || b.type().isEmpty() ? "message" : b.type();
        events.add(new SseEvent(type, lastId, String.join("\n", b.dataLines()).getBytes(StandardCharsets.UTF_8)));
      }
    }
    return events;
  }

  /** The blocks as bytes, each line with a random line end and a random spelling of "field: value". */
  static byte[] write(List<Block> blocks, Random random) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (random.nextBoolean()) {
      out.writeBytes(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
    }
    boolean[] lastEndedWithCr = {false};
    for (Block b : blocks) {
      List<String> lines = new ArrayList<>();
      if (b.comment()) {
        lines.add(":" + "comment");
      }
      if (b.type() != null) {
        lines.add(field("event", b.type(), random));
      }
      for (String id : b.ids()) {
        lines.add(field("id", id, random));
      }
      for (String d : b.dataLines()) {
        lines.add(field("data", d, random));
      }
      random.ints(0, lines.size() + 1).limit(random.nextInt(2)).forEach(i -> lines.add(i, field("unknown", "x", random)));
      lines.add("");
      for (String line : lines) {
        out.writeBytes(line.getBytes(StandardCharsets.UTF_8));
        // A lone CR followed by an empty line ended with LF would read as one CRLF: the writer avoids that, as servers do.
        String[] ends = line.isEmpty() && lastEndedWithCr[0] ? new String[] {"\r", "\r\n"} : new String[] {"\n", "\r\n", "\r"};
        String end = ends[random.nextInt(ends.length)];
        out.writeBytes(end.getBytes(StandardCharsets.US_ASCII));
        lastEndedWithCr[0] = end.equals("\r");
      }
    }
    return out.toByteArray();
  }

  /** "name: value", or "name:value" when the value does not start with a space, or bare "name" for an empty value. */
  private static String field(String name, String value, Random random) {
    if (value.isEmpty() && random.nextBoolean()) {
      return name;
    }
    if (!value.startsWith(" ") && random.nextBoolean()) {
      return name + ":" + value;
    }
    return name + ": " + value;
  }

  @Property(tries = 50)
  void recordsOfTheFileFormatParseBack(@ForAll("streams") List<Block> blocks) {
    // RecordFormat's records are SSE too: what ingest writes, a reader of the file parses back.
    List<SseEvent> expected = model(blocks).stream().filter(SseEvent::isMessage)
      .filter(e -> e.dataAsString().indexOf('\n') < 0 && e.dataAsString().indexOf('\r') < 0).toList();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (SseEvent e : expected) {
      out.writeBytes(wikirecent.records.RecordFormat.record(e.lastEventId(), e.dataAsString()));
    }
    SseParserTest.Recorder r = new SseParserTest.Recorder();
    new SseParser(r).feed(out.toByteArray());
    assertThat(r.events).isEqualTo(expected);
  }
}
