package wikirecent.ingest;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SseParserTest {

  /** Collects what a parser reports. */
  static final class Recorder implements SseParser.Listener {
    final List<SseEvent> events = new ArrayList<>();
    final List<Long> retries = new ArrayList<>();
    final List<String> oversized = new ArrayList<>();
    final List<Boolean> oneLine = new ArrayList<>();
    final List<Long> oversizedComments = new ArrayList<>();

    @Override
    public void onOversizedComment(long bytes) {
      oversizedComments.add(bytes);
    }

    @Override
    public void onEvent(SseEvent event) {
      events.add(event);
    }

    @Override
    public void onRetry(long millis) {
      retries.add(millis);
    }

    @Override
    public void onOversized(String lastEventId, long bytes, boolean line) {
      oversized.add(lastEventId);
      oneLine.add(line);
    }
  }

  private static Recorder parse(String... chunks) {
    Recorder r = new Recorder();
    SseParser p = new SseParser(r);
    for (String c : chunks) {
      p.feed(c.getBytes(StandardCharsets.UTF_8));
    }
    return r;
  }

  private static Recorder parseBytes(byte[]... chunks) {
    Recorder r = new Recorder();
    SseParser p = new SseParser(r);
    for (byte[] c : chunks) {
      p.feed(c);
    }
    return r;
  }

  private static SseEvent ev(String type, String id, String data) {
    return new SseEvent(type, id, data.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void anEventEndsAtAnEmptyLine() {
    assertThat(parse("event: message\nid: 1\ndata: {\"a\":1}\n\n").events)
      .containsExactly(ev("message", "1", "{\"a\":1}"));
  }

  @Test
  void anEventWithoutItsEmptyLineIsNotDispatched() {
    assertThat(parse("data: a\n\ndata: b\n").events).containsExactly(ev("message", "", "a"));
    assertThat(parse("data: a").events).isEmpty();
  }

  @Test
  void crlfLineEnds() {
    assertThat(parse("event: message\r\nid: 7\r\ndata: x\r\n\r\ndata: y\r\n\r\n").events)
      .containsExactly(ev("message", "7", "x"), ev("message", "7", "y"));
  }

  @Test
  void loneCrLineEnds() {
    assertThat(parse("id: 1\rdata: x\r\rdata: y\r\r").events)
      .containsExactly(ev("message", "1", "x"), ev("message", "1", "y"));
  }

  @Test
  void aCrAtTheEndOfOneChunkAndLfAtTheStartOfTheNextAreOneLineEnd() {
    // Were the LF taken as a line of its own, "a" would be dispatched alone.
    assertThat(parse("data: a\r", "\ndata: b\r", "\n\r", "\n").events)
      .containsExactly(ev("message", "", "a\nb"));
  }

  @Test
  void aCrAtTheEndOfAChunkFollowedByAnotherLine() {
    assertThat(parse("data: a\r", "data: b\r", "\r").events).containsExactly(ev("message", "", "a\nb"));
  }

  @Test
  void aBomAtTheStartIsSkippedEvenWhenSplit() {
    byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    byte[] rest = "data: x\n\n".getBytes(StandardCharsets.UTF_8);
    assertThat(parseBytes(concat(bom, rest)).events).containsExactly(ev("message", "", "x"));
    assertThat(parseBytes(new byte[] {(byte) 0xEF}, new byte[] {(byte) 0xBB}, concat(new byte[] {(byte) 0xBF}, rest)).events)
      .containsExactly(ev("message", "", "x"));
  }

  @Test
  void aBomLaterOnIsNotSkipped() {
    // "\uFEFFdata" is not the field "data"
    assertThat(parse("data: a\n\n\uFEFFdata: b\n\n").events).containsExactly(ev("message", "", "a"));
  }

  @Test
  void commentsAreIgnoredAndACommentOnlyBlockIsNoEvent() {
    assertThat(parse(":ok\n\n: keep-alive\ndata: x\n:between\n\n").events).containsExactly(ev("message", "", "x"));
  }

  @Test
  void oneLeadingSpaceIsStrippedFromTheValue() {
    assertThat(parse("data:x\n\ndata:  y\n\ndata: a: b:c\n\n").events)
      .containsExactly(ev("message", "", "x"), ev("message", "", " y"), ev("message", "", "a: b:c"));
  }

  @Test
  void aBareFieldHasAnEmptyValue() {
    assertThat(parse("data\n\n").events).containsExactly(ev("message", "", ""));
    assertThat(parse("data\ndata\n\n").events).containsExactly(ev("message", "", "\n"));
    assertThat(parse("data: a\nid\n\n").events).containsExactly(ev("message", "", "a"));
  }

  @Test
  void dataLinesAreJoinedWithLf() {
    assertThat(parse("data: {\ndata: \"a\": 1\ndata: }\n\n").events).containsExactly(ev("message", "", "{\n\"a\": 1\n}"));
  }

  @Test
  void anEventWithoutIdKeepsThePreviousOne() {
    assertThat(parse("id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n").events)
      .containsExactly(ev("message", "1", "a"), ev("message", "1", "b"), ev("message", "2", "c"));
  }

  @Test
  void anEmptyIdClearsIt() {
    assertThat(parse("id: 1\ndata: a\n\nid\ndata: b\n\nid:\ndata: c\n\n").events)
      .containsExactly(ev("message", "1", "a"), ev("message", "", "b"), ev("message", "", "c"));
  }

  @Test
  void anIdContainingNulIsIgnored() {
    assertThat(parse("id: 1\ndata: a\n\nid: 2\u00003\ndata: b\n\n").events)
      .containsExactly(ev("message", "1", "a"), ev("message", "1", "b"));
  }

  @Test
  void theLastIdIsTakenEvenFromABlockWithoutData() {
    Recorder r = new Recorder();
    SseParser p = new SseParser(r);
    p.feed("id: 5\n\n".getBytes(StandardCharsets.UTF_8));
    assertThat(r.events).isEmpty();
    assertThat(p.lastEventId()).isEqualTo("5");
    p.feed("data: x\n\n".getBytes(StandardCharsets.UTF_8));
    assertThat(r.events).containsExactly(ev("message", "5", "x"));
  }

  @Test
  void theInitialIdIsCarriedUntilTheStreamSendsOne() {
    Recorder r = new Recorder();
    SseParser p = new SseParser(r, "[{\"offset\":9}]", 1024);
    p.feed("data: a\n\nid: 10\ndata: b\n\n".getBytes(StandardCharsets.UTF_8));
    assertThat(r.events).containsExactly(ev("message", "[{\"offset\":9}]", "a"), ev("message", "10", "b"));
  }

  @Test
  void eventTypes() {
    assertThat(parse("event: error\ndata: oops\n\nevent:\ndata: a\n\nevent: message\ndata: b\n\nevent: other\ndata: c\n\ndata: d\n\n").events)
      .containsExactly(ev("error", "", "oops"), ev("message", "", "a"), ev("message", "", "b"), ev("other", "", "c"), ev("message", "", "d"));
  }

  @Test
  void theEventTypeDoesNotLeakIntoTheNextEvent() {
    assertThat(parse("event: error\n\ndata: a\n\n").events).containsExactly(ev("message", "", "a"));
  }

  @Test
  void retryTakesOnlyDigits() {
    Recorder r = parse("retry: 3000\n", "retry: 12a\n", "retry:\n", "retry: -5\n", "retry: 1.5\n", "retry:250\n\n");
    assertThat(r.retries).containsExactly(3000L, 250L);
    assertThat(r.events).isEmpty();
  }

  @Test
  void unknownFieldsAndWrongCaseAreIgnored() {
    assertThat(parse("Data: no\nfoo: bar\nDATA: no\ndata: yes\n\n").events).containsExactly(ev("message", "", "yes"));
  }

  @Test
  void multiByteCharactersSplitAcrossChunks() {
    byte[] all = "id: é\ndata: {\"user\":\"Zoë ✓ 𝄞\"}\n\n".getBytes(StandardCharsets.UTF_8);
    for (int cut = 1; cut < all.length; cut++) {
      byte[] a = java.util.Arrays.copyOfRange(all, 0, cut);
      byte[] b = java.util.Arrays.copyOfRange(all, cut, all.length);
      assertThat(parseBytes(a, b).events).as("cut at %d", cut).containsExactly(ev("message", "é", "{\"user\":\"Zoë ✓ 𝄞\"}"));
    }
  }

  @Test
  void aFrameSplitAtEveryByteGivesTheSameEvents() {
    String text = ":ok\n\nevent: message\r\nid: [{\"t\":1}]\r\ndata: {\"a\":\r\ndata: 1}\r\n\r\nid: 2\rdata: b\r\r";
    byte[] all = text.getBytes(StandardCharsets.UTF_8);
    List<SseEvent> whole = parseBytes(all).events;
    assertThat(whole).containsExactly(ev("message", "[{\"t\":1}]", "{\"a\":\n1}"), ev("message", "2", "b"));
    byte[][] bytes = new byte[all.length][];
    for (int i = 0; i < all.length; i++) {
      bytes[i] = new byte[] {all[i]};
    }
    assertThat(parseBytes(bytes).events).isEqualTo(whole);
  }

  @Test
  void anOversizedEventIsDroppedAndReportedAndTheNextOneIsFine() {
    Recorder r = new Recorder();
    SseParser p = new SseParser(r, "", 16);
    p.feed("id: 1\ndata: 0123456789\ndata: 0123456789\n\n".getBytes(StandardCharsets.UTF_8)); // data over 16 bytes
    p.feed("id: 2\ndata: 01234567890123456789".getBytes(StandardCharsets.UTF_8)); // one line over 16 bytes, split
    p.feed("0123\n\nid: 3\ndata: ok\n\n".getBytes(StandardCharsets.UTF_8));
    assertThat(r.oversized).containsExactly("1", "2");
    assertThat(r.events).containsExactly(ev("message", "3", "ok"));
  }

  /**
   * A comment past the limit (across chunks, or whole in one) is skipped: the event it sits in, and the next one, are
   * kept. It used to drop the event being built, or the next one.
   */
  @Test
  void aCommentPastTheLimitIsSkippedAndTheEventsAroundItAreKept() {
    Recorder r = new Recorder();
    SseParser p = new SseParser(r, "", 16);
    p.feed(("id: 1\ndata: a\n:" + "x".repeat(40)).getBytes(StandardCharsets.UTF_8));
    p.feed("\ndata: b\n\n".getBytes(StandardCharsets.UTF_8));
    p.feed((":" + "y".repeat(40) + "\nid: 2\ndata: c\n\n").getBytes(StandardCharsets.UTF_8));
    assertThat(r.events).containsExactly(ev("message", "1", "a\nb"), ev("message", "2", "c"));
    assertThat(r.oversized).isEmpty();
    assertThat(r.oversizedComments).hasSize(2);
    assertThat(p.progress()).as("two events, two comments").isEqualTo(4);
  }

  /** The stream's first line may be a comment after a BOM: past the limit it is still a comment, whole or split. */
  @Test
  void anOversizedCommentAfterTheBomIsStillAComment() {
    byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    byte[] comment = (":" + "x".repeat(40) + "\n").getBytes(StandardCharsets.UTF_8);
    byte[] event = "id: 1\ndata: a\n\n".getBytes(StandardCharsets.UTF_8);
    byte[] whole = new byte[bom.length + comment.length];
    System.arraycopy(bom, 0, whole, 0, bom.length);
    System.arraycopy(comment, 0, whole, bom.length, comment.length);
    for (byte[][] chunks : new byte[][][] {
      {whole, event},
      {new byte[] {bom[0], bom[1]}, new byte[] {bom[2]}, comment, event},
      {bom, Arrays.copyOf(comment, 30), Arrays.copyOfRange(comment, 30, comment.length), event}}) {
      Recorder r = new Recorder();
      SseParser p = new SseParser(r, "", 16);
      for (byte[] c : chunks) {
        p.feed(c);
      }
      assertThat(r.events).containsExactly(ev("message", "1", "a"));
      assertThat(r.oversized).isEmpty();
      assertThat(r.oversizedComments).hasSize(1);
    }
  }

  @Test
  void aLineThatNeverEndsIsReportedOnceTheMomentItPassesTheLimitAndNotBuffered() {
    Recorder r = new Recorder();
    SseParser p = new SseParser(r, "", 1000);
    p.feed("id: 7\ndata: {\"user\":\"".getBytes(StandardCharsets.UTF_8));
    byte[] chunk = "x".repeat(300).getBytes(StandardCharsets.UTF_8);
    p.feed(chunk);
    p.feed(chunk);
    p.feed(chunk);
    assertThat(r.oversized).isEmpty(); // 915 bytes so far
    p.feed(chunk);
    assertThat(r.oversized).containsExactly("7");
    assertThat(r.oneLine).containsExactly(true);
    for (int i = 0; i < 1000; i++) {
      p.feed(chunk); // 300 KB more of it: dropped as it comes, said once
      assertThat(p.bufferedLineBytes()).isLessThanOrEqualTo(1000);
    }
    assertThat(r.oversized).hasSize(1);
    assertThat(p.partialLineBytes()).isEqualTo(15 + 1004 * 300L);
    assertThat(p.progress()).isZero();
    p.feed("\n\nid: 8\ndata: ok\n\n".getBytes(StandardCharsets.UTF_8));
    assertThat(r.oversized).hasSize(1);
    assertThat(r.events).containsExactly(ev("message", "8", "ok"));
    assertThat(p.partialLineBytes()).isZero();
  }

  @Test
  void progressCountsEventsAndCommentsNotBytes() {
    Recorder r = new Recorder();
    SseParser p = new SseParser(r, "", 16);
    p.feed(":ok\n\n".getBytes(StandardCharsets.UTF_8));
    assertThat(p.progress()).isEqualTo(1); // a comment; the blank line after it is no event
    p.feed("data: a\n\nevent: error\ndata: b\n\n".getBytes(StandardCharsets.UTF_8));
    assertThat(p.progress()).isEqualTo(3);
    p.feed("retry: 5\nfoo: bar\nid: 3\n\n\n".getBytes(StandardCharsets.UTF_8));
    assertThat(p.progress()).as("fields and blank lines without data are no event").isEqualTo(3);
    p.feed("data: 0123456789abcdefghij\n\n".getBytes(StandardCharsets.UTF_8));
    assertThat(p.progress()).as("an oversized event that ends is a complete event").isEqualTo(4);
    p.feed("data: partial".getBytes(StandardCharsets.UTF_8));
    assertThat(p.progress()).isEqualTo(4);
  }

  @Test
  void anEventAtTheLimitIsKept() {
    Recorder r = new Recorder();
    SseParser p = new SseParser(r, "", 16);
    p.feed("data: 0123456789abcdef\n\n".getBytes(StandardCharsets.UTF_8)); // the line is 22 bytes: too long
    p.feed("data:0123456789abcdef\n\n".getBytes(StandardCharsets.UTF_8)); // 21
    p.feed("data:0123456\ndata:89abcdef\n\n".getBytes(StandardCharsets.UTF_8)); // lines 12 and 13, data 16
    assertThat(r.oversized).hasSize(2);
    assertThat(r.events).containsExactly(ev("message", "", "0123456\n89abcdef"));
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
