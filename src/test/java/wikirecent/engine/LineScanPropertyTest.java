package wikirecent.engine;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import wikirecent.jsonb.LineScan;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The word-at-a-time scan against a plain one: strict UTF-8 decoding, then escapes checked on the chars. */
class LineScanPropertyTest {

  // Bytes that matter to the scan, plus filler; runs of filler let the 8-byte path kick in.
  private static final byte[] ALPHABET = {
    'a', 'a', 'a', 'a', 'a', 'a', '"', '\n', '\\', '\\', 'u', 'u', '0', 'd', 'D', '8', 'c', 'e', 'f', 'x', '\t', '\r', 0x01, 0x1F, 0x20, 0x7F,
    0x00, (byte) 0xC3, (byte) 0xA9, (byte) 0xED, (byte) 0xA0, (byte) 0x80, (byte) 0xF0, (byte) 0x9F,
    (byte) 0x98, (byte) 0xF4, (byte) 0x90, (byte) 0xE0, (byte) 0xC0, (byte) 0xFF, (byte) 0xBF, (byte) 0xE2};

  private static final List<String> PIECES = List.of(
    "\\u0000", "\\u0041", "\\ud83d\\ude00", "\\ud83d", "\\ude00", "\\uDBFF\\uDFFF", "\\\\u0000", "\\\\", "\\\"",
    "é", "😀", "\u2028", "abcdefghijklmnop", "\n");

  @Provide
  Arbitrary<byte[]> lines() {
    Arbitrary<byte[]> raw = Arbitraries.of(toObjects(ALPHABET)).list().ofMaxSize(48).map(LineScanPropertyTest::toBytes);
    Arbitrary<byte[]> pieces = Arbitraries.of(PIECES).list().ofMaxSize(8)
      .map(l -> String.join("", l).getBytes(StandardCharsets.UTF_8));
    Arbitrary<byte[]> mixed = Arbitraries.oneOf(raw, pieces).list().ofMaxSize(4)
      .map(l -> EventLines.concat(l.toArray(new byte[0][])));
    return Arbitraries.oneOf(raw, pieces, mixed);
  }

  @Property(tries = 5000)
  void agreesWithAPlainScan(@ForAll("lines") byte[] b) {
    for (int from = 0; from <= Math.min(3, b.length); from++) {
      long s = LineScan.scan(b, from, b.length);
      int nl = -1;
      for (int i = from; i < b.length; i++) {
        if (b[i] == '\n') {
          nl = i;
          break;
        }
      }
      int end = nl < 0 ? b.length : nl;
      assertThat(LineScan.foundNewline(s)).isEqualTo(nl >= 0);
      assertThat(LineScan.end(s)).isEqualTo(end);
      assertThat(LineScan.textOk(s)).as("text ok for %s", hex(b, from, end)).isEqualTo(plainOk(b, from, end));
    }
  }

  private static boolean plainOk(byte[] b, int from, int to) {
    String s;
    try {
      s = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(b, from, to - from)).toString();
    } catch (CharacterCodingException e) {
      return false;
    }
    if (s.indexOf('\0') >= 0) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) != '\\' || i + 1 >= s.length()) {
        continue;
      }
      char next = s.charAt(i + 1);
      int code = next == 'u' ? hex(s, i + 2) : -1;
      if (code < 0) {
        i++; // a two-character escape (or a malformed one, which JSON parsing rejects anyway)
        continue;
      }
      if (code == 0 || (code >= 0xDC00 && code <= 0xDFFF)) {
        return false;
      }
      if (code >= 0xD800 && code <= 0xDBFF) {
        int low = s.startsWith("\\u", i + 6) ? hex(s, i + 8) : -1;
        if (low < 0xDC00 || low > 0xDFFF) {
          return false;
        }
        i += 11;
      } else {
        i += 5;
      }
    }
    return true;
  }

  private static int hex(String s, int at) {
    if (at + 4 > s.length()) {
      return -1;
    }
    for (int k = at; k < at + 4; k++) {
      if ("0123456789abcdefABCDEF".indexOf(s.charAt(k)) < 0) {
        return -1;
      }
    }
    return Integer.parseInt(s.substring(at, at + 4), 16);
  }

  private static String hex(byte[] b, int from, int to) {
    StringBuilder sb = new StringBuilder();
    for (int i = from; i < to; i++) {
      sb.append(String.format("%02x ", b[i]));
    }
    return sb.toString();
  }

  private static Byte[] toObjects(byte[] b) {
    Byte[] out = new Byte[b.length];
    for (int i = 0; i < b.length; i++) {
      out[i] = b[i];
    }
    return out;
  }

  private static byte[] toBytes(List<Byte> l) {
    byte[] out = new byte[l.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = l.get(i);
    }
    return out;
  }
}
