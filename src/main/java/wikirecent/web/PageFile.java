package wikirecent.web;

import io.vertx.core.buffer.Buffer;

import java.io.IOException;
import java.util.Locale;
import java.util.zip.CRC32;

/**
 * One of the page's files as served: its bytes, and for a text file the same gzipped when that saves a tenth or
 * more (an image or a font is compressed already); an ETag for each.
 */
record PageFile(Buffer plain, String etag, Buffer gzipped, String gzippedEtag) {

  /** Smaller than this, the bytes a gzip header and a {@code Content-Encoding} line add outweigh what it saves. */
  static final int GZIP_FROM = 256;

  static PageFile of(Buffer plain, String contentType) throws IOException {
    CRC32 crc = new CRC32();
    crc.update(plain.getBytes());
    String tag = Long.toHexString(crc.getValue()) + "-" + Integer.toHexString(plain.length());
    Buffer gzipped = null;
    if (plain.length() >= GZIP_FROM && compressible(contentType)) {
      Buffer z = Gzip.of(plain, Gzip.BEST);
      if (z.length() <= plain.length() * 0.9) {
        gzipped = z;
      }
    }
    return new PageFile(plain, "\"" + tag + "\"", gzipped, gzipped == null ? null : "\"" + tag + "-gzip\"");
  }

  static boolean compressible(String contentType) {
    String type = contentType.toLowerCase(Locale.ROOT);
    return type.startsWith("text/") || type.startsWith("application/javascript") || type.startsWith("application/json")
      || type.startsWith("image/svg+xml") || type.startsWith("application/xml");
  }
}
