package wikirecent.jsonb;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import static org.assertj.core.api.Assertions.assertThat;

/** The word-at-a-time searches for a line break and for a line feed against byte loops, from every start. */
class LineBreakPropertyTest {

  @Provide
  Arbitrary<byte[]> texts() {
    // mostly filler so the 8-byte path runs, with bytes one off from CR and LF and non-ASCII ones that could borrow
    return Arbitraries.of((byte) 'a', (byte) 'a', (byte) 'a', (byte) 'a', (byte) 'a', (byte) 'a', (byte) 'a', (byte) '\n', (byte) '\r',
        (byte) 0x0B, (byte) 0x0C, (byte) 0x09, (byte) 0x0E, (byte) 0, (byte) 0x8A, (byte) 0x8D, (byte) 0xFF, (byte) 0x80)
      .array(byte[].class).ofMaxSize(60);
  }

  @Property(tries = 5000)
  void findsTheFirstCrOrLfAndTheFirstLf(@ForAll("texts") byte[] b) {
    for (int from = 0; from <= b.length; from++) {
      for (int limit : new int[] {b.length, Math.max(from, b.length - 3)}) {
        assertThat(LineScan.lineBreak(b, from, limit)).isEqualTo(first(b, from, limit, true));
        assertThat(LineScan.newline(b, from, limit)).isEqualTo(first(b, from, limit, false));
      }
    }
  }

  private static int first(byte[] b, int from, int limit, boolean orCr) {
    for (int i = from; i < limit; i++) {
      if (b[i] == '\n' || (orCr && b[i] == '\r')) {
        return i;
      }
    }
    return -1;
  }
}
