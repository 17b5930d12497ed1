package wikirecent.records;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RecordTailTest {

  @TempDir
  Path dir;

  private RecordTail.Recovery recover(Path file, int window, long maxTorn) throws IOException {
    try (AppendFile f = ChannelAppendFile.open(file)) {
      return RecordTail.recover(file, f, window, maxTorn, RecordTailTest::meta);
    }
  }

  /** meta.id and meta.dt by a plain regex: the test's records are simple. */
  static RecordTail.Meta meta(byte[] data) {
    String json = new String(data, StandardCharsets.UTF_8);
    java.util.regex.Matcher id = java.util.regex.Pattern.compile("\"meta\":\\{\"id\":\"([^\"]*)\"").matcher(json);
    java.util.regex.Matcher dt = java.util.regex.Pattern.compile("\"dt\":\"([^\"]*)\"").matcher(json);
    return new RecordTail.Meta(id.find() ? id.group(1) : null, dt.find() ? dt.group(1) : null);
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void aNewFileHasNothingToResumeFrom() throws Exception {
    RecordTail.Recovery r = recover(dir.resolve("recentchanges"), 10, 1000);
    assertThat(r.size()).isZero();
    assertThat(r.lastId()).isEmpty();
    assertThat(r.recentIds()).isEmpty();
  }

  @Test
  void randomFilesAcrossBlockBoundaries() throws Exception {
    // Records of random sizes (some of several KB) so blank lines fall on and across the 64 KB read blocks.
    Random random = new Random(42);
    for (int round = 0; round < 20; round++) {
      Path file = dir.resolve("f" + round);
      int count = 50 + random.nextInt(300);
      List<String> ids = new ArrayList<>();
      List<String> metaIds = new ArrayList<>();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (int i = 0; i < count; i++) {
        String id = "[{\"topic\":\"t\",\"offset\":" + i + "}]";
        String metaId = "id-" + round + "-" + i;
        String data = "{\"meta\":{\"id\":\"" + metaId + "\"},\"pad\":\"" + "x".repeat(random.nextInt(random.nextBoolean() ? 100 : 4000)) + "\"}";
        out.writeBytes(RecordFormat.record(id, data));
        ids.add(id);
        metaIds.add(metaId);
      }
      byte[] complete = out.toByteArray();
      int tornLength = random.nextInt(3) == 0 ? 0 : 1 + random.nextInt(500);
      byte[] torn = Arrays.copyOf(RecordFormat.record("[{\"offset\":999999}]", "{\"meta\":{\"id\":\"torn\"},\"pad\":\"" + "y".repeat(600) + "\"}"), tornLength);
      Files.write(file, concat(complete, torn));
      int window = 1 + random.nextInt(count + 20);

      RecordTail.Recovery r = recover(file, window, 1 << 20);

      assertThat(r.cutBytes()).isEqualTo(tornLength);
      assertThat(r.size()).isEqualTo(complete.length);
      assertThat(Files.readAllBytes(file)).isEqualTo(complete);
      assertThat(r.lastId()).isEqualTo(ids.get(count - 1));
      assertThat(r.recentIds()).isEqualTo(metaIds.subList(Math.max(0, count - window), count));
    }
  }

  /** As a raw capture may be: CRLF, CR or mixed line ends, records across the read blocks; only the torn tail is cut. */
  @Test
  void everyLineEndMarksARecordBoundary() throws Exception {
    Random random = new Random(7);
    String[] ends = {"\r\n", "\r", "\n"};
    for (int round = 0; round < 24; round++) {
      Path file = dir.resolve("e" + round);
      int style = round % 4; // 0-2: one line end throughout; 3: each line its own
      int count = 3 + random.nextInt(round < 12 ? 5 : 200);
      List<String> metaIds = new ArrayList<>();
      StringBuilder text = new StringBuilder();
      String id = null;
      for (int i = 0; i < count; i++) {
        id = "[" + i + "]";
        String metaId = "m-" + round + "-" + i;
        String[] lines = {"event: message", "id: " + id,
          "data: {\"meta\":{\"id\":\"" + metaId + "\"},\"pad\":\"" + "x".repeat(random.nextInt(random.nextBoolean() ? 50 : 3000)) + "\"}", ""};
        String previous = "";
        for (String line : lines) {
          String end = style < 3 ? ends[style] : ends[random.nextInt(3)];
          if (line.isEmpty() && previous.equals("\r") && end.equals("\n")) {
            end = "\r\n"; // a CR then an LF is one CRLF: no blank line
          }
          text.append(line).append(end);
          previous = end;
        }
        metaIds.add(metaId);
      }
      byte[] complete = text.toString().getBytes(StandardCharsets.UTF_8);
      String eol = style < 3 ? ends[style] : "\r\n";
      byte[] torn = ("id: [999]" + eol + "data: {\"meta\":{\"id\":\"torn\"},\"pad\":\"" + "y".repeat(random.nextInt(300)))
        .getBytes(StandardCharsets.UTF_8);
      Files.write(file, concat(complete, torn));
      int window = 1 + random.nextInt(count + 5);

      RecordTail.Recovery r = recover(file, window, 1 << 20);

      assertThat(r.size()).as("round " + round).isEqualTo(complete.length);
      assertThat(r.cutBytes()).isEqualTo(torn.length);
      assertThat(Files.readAllBytes(file)).isEqualTo(complete);
      assertThat(r.lastId()).isEqualTo(id);
      assertThat(r.recentIds()).isEqualTo(metaIds.subList(Math.max(0, count - window), count));
    }
  }

  @Test
  void aFileThatIsOnlyATornRecordIsEmptied() throws Exception {
    Path file = dir.resolve("recentchanges");
    String torn = "event: message\nid: [1]\ndata: {\"a\":";
    Files.writeString(file, torn, StandardCharsets.UTF_8);
    RecordTail.Recovery r = recover(file, 10, 1000);
    assertThat(r.cutBytes()).isEqualTo(torn.length());
    assertThat(Files.size(file)).isZero();
  }

  @Test
  void aFileThatDoesNotLookLikeRecordsIsLeftAlone() throws Exception {
    Path file = dir.resolve("recentchanges");
    String notOurs = "{\"a\":1}\n".repeat(500);
    Files.writeString(file, notOurs, StandardCharsets.UTF_8);
    assertThatThrownBy(() -> recover(file, 10, 1000)).isInstanceOf(IOException.class).hasMessageContaining("not touching it");
    assertThat(Files.readString(file)).isEqualTo(notOurs);
  }

  @Test
  void theLastEventTimeAndCrlfAndAByteOrderMark() throws Exception {
    Path file = dir.resolve("recentchanges");
    String text = "\uFEFFid: [1]\r\ndata: {\"meta\":{\"id\":\"a\",\"dt\":\"2024-05-01T10:00:00Z\"}}\r\n\r\n"
      + "event: message\rid: [2]\rdata: {\"meta\":{\"id\":\"b\",\"dt\":\"2024-05-01T10:00:01Z\"}}\r\r"
      + "id: [3]\ndata: {\"meta\":{\"id\":\"c\"}}\n\n";
    Files.writeString(file, text, StandardCharsets.UTF_8);
    RecordTail.Recovery r = recover(file, 10, 1000);
    assertThat(r.cutBytes()).isZero();
    assertThat(r.lastId()).isEqualTo("[3]");
    assertThat(r.recentIds()).containsExactly("a", "b", "c");
    assertThat(r.lastDt()).as("the last record that has one").isEqualTo("2024-05-01T10:00:01Z");
  }

  @Test
  void whatToAppendToReachARecordBoundary() throws Exception {
    String[][] cases = {
      {"", ""}, {"\n", ""}, {"data: {}\n\n", ""}, {"data: {}\r\n\r\n", ""},
      {"data: {}\n", "\n"}, {"data: {", "\n\n"}, {"x", "\n\n"}, {"data: {}\r\n", "\n"}};
    for (String[] c : cases) {
      Path file = dir.resolve("b" + c[0].hashCode());
      Files.writeString(file, c[0], StandardCharsets.UTF_8);
      try (AppendFile f = ChannelAppendFile.open(file)) {
        assertThat(new String(RecordTail.toBoundary(f, f.size()), StandardCharsets.UTF_8)).as(c[0]).isEqualTo(c[1]);
      }
    }
  }

  @Test
  void theSeedsRawCurlCaptureIsReadToo() throws Exception {
    // The original demo appended curl's raw output: ":ok" comments, blank lines, ids before data. Ours reads it as SSE.
    Path file = dir.resolve("recentchanges");
    Files.writeString(file, ":ok\n\nevent: message\nid: [1]\ndata: {\"meta\":{\"id\":\"a\"}}\n\n:ok\n\n"
      + "event: message\nid: [2]\ndata: {\"meta\":{\"id\":\"b\"}}\n\nevent: message\ndata: {\"meta\":{\"id\":\"c\"}}\n\n:ok\n\n", StandardCharsets.UTF_8);
    RecordTail.Recovery r = recover(file, 10, 1000);
    assertThat(r.cutBytes()).isZero();
    assertThat(r.lastId()).isEqualTo("[2]");
    assertThat(r.recentIds()).containsExactly("a", "b", "c");
  }
}
