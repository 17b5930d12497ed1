package wikirecent.ingest;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link SseParser} against the byte-at-a-time parser it replaced ({@link PlainSseParser}): on any bytes cut into any
 * chunks, with any size limit, the same calls to the listener in the same order, the same last id, progress and
 * partial line after every chunk.
 */
class SseParserOraclePropertyTest {

  private static final String[] PIECES = {"data", "data:", "data: ", "id", "id: ", "id:", "event: ", "event:message",
    "event: error", "retry: ", "retry:12", "retry: 9x", ":", ": ok", "\n", "\n", "\n", "\r", "\r\n", "\n\n", "\r\r",
    "x", "{\"a\":1}", "é", "\u0000", " ", "abcdefghijklmnopqrstuvwxyz", "0123456789", "\uFEFF", "data: {\"meta\":{\"id\":\"m\"}}\n\n"};

  @Provide
  Arbitrary<byte[]> streams() {
    return Arbitraries.of(PIECES).list().ofMaxSize(60).map(l -> {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      l.forEach(p -> out.writeBytes(p.getBytes(StandardCharsets.UTF_8)));
      return out.toByteArray();
    });
  }

  @Property(tries = 3000)
  void sameCallsAsTheByteAtATimeParser(@ForAll("streams") byte[] stream, @ForAll long seed,
                                       @ForAll @IntRange(min = 1, max = 80) int limit, @ForAll boolean resumed) {
    List<String> ours = new ArrayList<>();
    List<String> theirs = new ArrayList<>();
    String initial = resumed ? "resumed-7" : "";
    SseParser p = new SseParser(inPlace(recorder(ours)), initial, limit);
    PlainSseParser q = new PlainSseParser(recorder(theirs), initial, limit);
    Random r = new Random(seed);
    int at = 0;
    while (at < stream.length) {
      int n = Math.min(stream.length - at, r.nextInt(4) == 0 ? 1 + r.nextInt(3) : 1 + r.nextInt(40));
      // each chunk in an array of its own with other bytes around it, as a reused network buffer would be
      byte[] chunk = new byte[n + 4];
      Arrays.fill(chunk, (byte) '\n');
      System.arraycopy(stream, at, chunk, 2, n);
      p.feed(chunk, 2, n);
      q.feed(chunk, 2, n);
      Arrays.fill(chunk, (byte) 'z'); // the parser must not keep reading a chunk it was handed
      at += n;
      assertThat(ours).isEqualTo(theirs);
      assertThat(p.lastEventId()).isEqualTo(q.lastEventId());
      assertThat(p.progress()).isEqualTo(q.progress());
      assertThat(p.partialLineBytes()).isEqualTo(q.partialLineBytes());
    }
    byte[] end = "\n\n".getBytes(StandardCharsets.UTF_8);
    p.feed(end);
    q.feed(end);
    assertThat(ours).isEqualTo(theirs);
  }

  /** Takes events in place (as ingest does) and copies their data only to record them. */
  private static SseParser.Listener inPlace(SseParser.Listener recorder) {
    return new SseParser.Listener() {
      @Override
      public void onEvent(SseEvent event) {
        throw new AssertionError("the parser hands events over in place");
      }

      @Override
      public void onEvent(String type, String lastEventId, byte[] data, int from, int to) {
        recorder.onEvent(new SseEvent(type, lastEventId, Arrays.copyOfRange(data, from, to)));
      }

      @Override
      public void onRetry(long millis) {
        recorder.onRetry(millis);
      }

      @Override
      public void onOversized(String lastEventId, long bytes, boolean oneLine) {
        recorder.onOversized(lastEventId, bytes, oneLine);
      }

      @Override
      public void onOversizedComment(long bytes) {
        recorder.onOversizedComment(bytes);
      }
    };
  }

  private static SseParser.Listener recorder(List<String> calls) {
    return new SseParser.Listener() {
      @Override
      public void onEvent(SseEvent event) {
        calls.add("event " + event);
      }

      @Override
      public void onRetry(long millis) {
        calls.add("retry " + millis);
      }

      @Override
      public void onOversized(String lastEventId, long bytes, boolean oneLine) {
        calls.add("oversized " + lastEventId + " " + bytes + " " + oneLine);
      }

      @Override
      public void onOversizedComment(long bytes) {
        calls.add("oversized comment " + bytes);
      }
    };
  }
}
