package wikirecent.jsonb;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * What PostgreSQL's text and jsonb input refuse before JSON syntax, checked the plain way, for tests: strict UTF-8
 * decoding (no overlong forms, surrogates or code points past U+10FFFF), no NUL, and on the decoded text no
 * {@code \u0000} escape and no unpaired surrogate escape. With {@link JsonbReader}'s full read it is the reference
 * {@link JsonbCheck}'s one pass is held to.
 */
public final class PlainText {

  private PlainText() {
  }

  public static boolean ok(byte[] b, int from, int to) {
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
      int code = s.charAt(i + 1) == 'u' ? hex(s, i + 2) : -1;
      if (code < 0) {
        i++; // a two-character escape (or a malformed one, which the JSON read refuses anyway)
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
}
