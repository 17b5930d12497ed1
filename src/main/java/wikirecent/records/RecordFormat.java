package wikirecent.records;

import wikirecent.jsonb.LineScan;

import java.nio.charset.StandardCharsets;

/**
 * The {@code recentchanges} file's record, byte-compatible with the original demo's {@code curl >> recentchanges} capture, so
 * Materialize's {@code FORMAT REGEX '^data: (?P<data>.*)'} reads it unchanged:
 * <pre>
 * event: message
 * id: &lt;SSE id as received&gt;
 * data: &lt;event JSON on one line&gt;
 * &lt;empty line&gt;
 * </pre>
 * A record is complete only once its empty line is there.
 */
public final class RecordFormat {

  public static final String EVENT_LINE = "event: message";
  public static final String ID_PREFIX = "id: ";
  public static final String DATA_PREFIX = "data: ";

  public static final byte[] DATA_PREFIX_BYTES = DATA_PREFIX.getBytes(StandardCharsets.US_ASCII);
  private static final byte[] HEAD = (EVENT_LINE + '\n' + ID_PREFIX).getBytes(StandardCharsets.US_ASCII);
  private static final byte[] MIDDLE = ('\n' + DATA_PREFIX).getBytes(StandardCharsets.US_ASCII);

  private RecordFormat() {
  }

  /** One record, ready for a single append. {@code id} and {@code data} must hold no line break. */
  public static byte[] record(String id, String data) {
    if (hasLineBreak(id) || hasLineBreak(data)) {
      throw new IllegalArgumentException("a record's id and data must be single lines");
    }
    String text = EVENT_LINE + '\n' + ID_PREFIX + id + '\n' + DATA_PREFIX + data + "\n\n";
    return text.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The same record, with the data given as UTF-8 bytes: ingest holds the event's data as bytes. Built in one
   * array with no String in between (ids are ASCII in practice: written char by char; others are encoded).
   */
  public static byte[] record(String id, byte[] utf8Data) {
    return record(id, utf8Data, 0, utf8Data.length);
  }

  /** The same, with the data {@code utf8Data[off, off+len)}. */
  public static byte[] record(String id, byte[] utf8Data, int off, int len) {
    byte[] record = new byte[length(id, len)];
    put(id, utf8Data, off, len, record, 0);
    return record;
  }

  /** Bytes of the record of {@code id} with {@code dataLength} bytes of data. */
  public static int length(String id, int dataLength) {
    return HEAD.length + utf8Length(id) + MIDDLE.length + dataLength + 2;
  }

  /**
   * Writes that record at {@code out[pos]}, which has room for its {@link #length}; returns the index after it.
   * Lets records be built one after another in an array that is used again, rather than an array each.
   */
  public static int put(String id, byte[] utf8Data, int off, int len, byte[] out, int pos) {
    if (hasLineBreak(id) || LineScan.lineBreak(utf8Data, off, off + len) >= 0) {
      throw new IllegalArgumentException("a record's id and data must be single lines");
    }
    System.arraycopy(HEAD, 0, out, pos, HEAD.length);
    pos += HEAD.length;
    int idLength = id.length();
    for (int i = 0; i < idLength; i++) {
      char c = id.charAt(i);
      if (c >= 0x80) { // ids are ASCII in practice: written char by char, others encoded
        byte[] idBytes = id.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(idBytes, 0, out, pos - i, idBytes.length);
        pos += idBytes.length - i;
        break;
      }
      out[pos++] = (byte) c;
    }
    System.arraycopy(MIDDLE, 0, out, pos, MIDDLE.length);
    pos += MIDDLE.length;
    System.arraycopy(utf8Data, off, out, pos, len);
    pos += len;
    out[pos++] = '\n';
    out[pos++] = '\n';
    return pos;
  }

  private static int utf8Length(String id) {
    int n = id.length();
    for (int i = 0; i < n; i++) {
      if (id.charAt(i) >= 0x80) {
        return id.getBytes(StandardCharsets.UTF_8).length;
      }
    }
    return n;
  }

  public static boolean hasLineBreak(String s) {
    return s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0;
  }

  /** True if {@code line[from, to)} starts with {@code prefix}. */
  public static boolean startsWith(byte[] line, int from, int to, byte[] prefix) {
    if (to - from < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (line[from + i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }
}
