package wikirecent.web;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Locale;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * REST answers of a large snapshot, gzipped once per state, and the page's files, gzipped once, for the clients that take
 * it (browsers, {@code curl --compressed}). The node never compresses per response: that would cost a 4 MB answer
 * hundreds of milliseconds of CPU each time, on the event loop.
 */
final class Gzip {

  private Gzip() {
  }

  /** Whether a request's {@code Accept-Encoding} lines, read as one list (RFC 9110), take gzip. */
  static boolean accepted(MultiMap headers) {
    return accepted(String.join(",", headers.getAll(HttpHeaders.ACCEPT_ENCODING)));
  }

  /**
   * Whether an {@code Accept-Encoding} header takes gzip: {@code gzip} (or {@code x-gzip}) with a non-zero weight, or else
   * {@code *} with one. A weight that is not a number refuses its coding, as a coding the server does not know would be.
   */
  static boolean accepted(String acceptEncoding) {
    if (acceptEncoding == null) {
      return false;
    }
    Boolean gzip = null;
    boolean any = false;
    for (String part : acceptEncoding.split(",")) {
      String[] coding = part.split(";");
      String name = coding[0].trim().toLowerCase(Locale.ROOT);
      boolean takes = weight(coding) > 0;
      if (name.equals("gzip") || name.equals("x-gzip")) {
        gzip = gzip == null ? takes : gzip && takes;
      } else if (name.equals("*")) {
        any = takes;
      }
    }
    return gzip != null ? gzip : any;
  }

  private static double weight(String[] coding) {
    for (int i = 1; i < coding.length; i++) {
      String p = coding[i].trim();
      if (p.length() > 1 && (p.charAt(0) == 'q' || p.charAt(0) == 'Q') && p.substring(1).trim().startsWith("=")) {
        try {
          return Double.parseDouble(p.substring(p.indexOf('=') + 1).trim());
        } catch (NumberFormatException e) {
          return 0;
        }
      }
    }
    return 1;
  }

  /**
   * The bytes gzipped at the fastest level: about 35 ms for 3.7 MB of JSON on this kind of box, and a third to a half of
   * the size (the default level takes six times as long for a seventh less).
   */
  static Buffer of(Buffer plain) throws IOException {
    return of(plain, Deflater.BEST_SPEED);
  }

  /** The smallest gzip, for bytes compressed once for as long as the node runs (the page's files). */
  static final int BEST = Deflater.BEST_COMPRESSION;

  static Buffer of(Buffer plain, int level) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(plain.length() / 3 + 64);
    try (GZIPOutputStream z = new LeveledGzip(out, level)) {
      z.write(plain.getBytes());
    }
    return Buffer.buffer(out.toByteArray());
  }

  private static final class LeveledGzip extends GZIPOutputStream {
    LeveledGzip(ByteArrayOutputStream out, int level) throws IOException {
      super(out, 1 << 16);
      def.setLevel(level);
    }
  }
}
