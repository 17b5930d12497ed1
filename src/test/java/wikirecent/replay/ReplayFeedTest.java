package wikirecent.replay;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** The frames the replay appends to its chunks, against frames spelled out here from the recorded data. */
class ReplayFeedTest {

  private static String expected(long offset, String data, String eol) {
    StringBuilder sb = new StringBuilder("event: message" + eol + "id: [{\"topic\":\"replay\",\"partition\":0,\"offset\":" + offset + "}]" + eol);
    for (String line : data.split("\n", -1)) {
      sb.append("data: ").append(line).append(eol);
    }
    return sb.append(eol).toString();
  }

  @Test
  void framesOfEveryRoundAndLineEndAppendedOneAfterAnother() throws Exception {
    List<String> sample = Sample.lines().subList(0, 5);
    ReplayFeed feed = ReplayFeed.parse(String.join("\n", sample).getBytes(StandardCharsets.UTF_8), "test");
    ObjectMapper mapper = new ObjectMapper();
    for (boolean crlf : new boolean[] {false, true}) {
      String eol = crlf ? "\r\n" : "\n";
      Buffer chunk = Buffer.buffer();
      StringBuilder all = new StringBuilder();
      for (long offset = 0; offset < 15; offset++) {
        String data = sample.get((int) (offset % 5));
        long round = offset / 5;
        if (round > 0) {
          String id = mapper.readTree(data).path("meta").path("id").asText();
          assertThat(data.indexOf(id)).isEqualTo(data.lastIndexOf(id)); // so replacing it is unambiguous
          data = data.replace(id, UUID.nameUUIDFromBytes((id + "#" + round).getBytes(StandardCharsets.UTF_8)).toString());
        }
        String frame = expected(offset, data, eol);
        assertThat(new String(feed.frame(offset, crlf), StandardCharsets.UTF_8)).isEqualTo(frame);
        feed.appendFrame(chunk, offset, crlf);
        all.append(frame);
      }
      assertThat(chunk.toString(StandardCharsets.UTF_8)).isEqualTo(all.toString());
    }
  }

  @Test
  void dataOverSeveralLinesGoesOutAsSeveralDataLinesAndDataWithoutMetaIdAsRecorded() {
    String sse = "data: {\"a\":\ndata:  1,\ndata: \"meta\":{\"id\":\"m1\"}}\n\ndata: not json\n\ndata: {\"meta\":{\"id\":7}}\n\n";
    ReplayFeed feed = ReplayFeed.parse(sse.getBytes(StandardCharsets.UTF_8), "test");
    assertThat(feed.size()).isEqualTo(3);
    String first = "{\"a\":\n 1,\n\"meta\":{\"id\":\"m1\"}}";
    String looped = first.replace("m1", UUID.nameUUIDFromBytes("m1#1".getBytes(StandardCharsets.UTF_8)).toString());
    for (boolean crlf : new boolean[] {false, true}) {
      String eol = crlf ? "\r\n" : "\n";
      Buffer chunk = Buffer.buffer();
      for (long offset = 0; offset < 6; offset++) {
        feed.appendFrame(chunk, offset, crlf);
      }
      assertThat(chunk.toString(StandardCharsets.UTF_8)).isEqualTo(expected(0, first, eol) + expected(1, "not json", eol)
        + expected(2, "{\"meta\":{\"id\":7}}", eol) + expected(3, looped, eol) + expected(4, "not json", eol)
        + expected(5, "{\"meta\":{\"id\":7}}", eol));
    }
  }

  /**
   * A CR between a JSON line's tokens is JSON's white space but an SSE line end: sent as it is, the client would cut the
   * event there. Each piece goes on a data: line of its own, and the client joins them with LF. (A CRLF ends the JSON line.)
   */
  @Test
  void aCrInsideAJsonLineGoesOutAsALineBreakTheClientJoins() {
    ReplayFeed feed = ReplayFeed.parse("{\"a\":1,\r\"b\":2,\r\r\"c\":3}\r\n{\"d\":4}\n".getBytes(StandardCharsets.UTF_8), "test");
    assertThat(feed.size()).isEqualTo(2);
    for (boolean crlf : new boolean[] {false, true}) {
      String eol = crlf ? "\r\n" : "\n";
      assertThat(new String(feed.frame(0, crlf), StandardCharsets.UTF_8))
        .isEqualTo(expected(0, "{\"a\":1,\n\"b\":2,\n\n\"c\":3}", eol));
      assertThat(new String(feed.frame(1, crlf), StandardCharsets.UTF_8)).isEqualTo(expected(1, "{\"d\":4}", eol));
    }
  }

  @Test
  void bigOffsetsSpellTheirDigits() {
    ReplayFeed feed = ReplayFeed.parse("{\"x\":1}\n".getBytes(StandardCharsets.UTF_8), "test");
    for (long offset : new long[] {9, 10, 99, 100, 1234567890123L, Long.MAX_VALUE}) {
      assertThat(new String(feed.frame(offset, false), StandardCharsets.UTF_8)).isEqualTo(expected(offset, "{\"x\":1}", "\n"));
    }
  }
}
