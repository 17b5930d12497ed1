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
    if (LineScan.lineBreak(utf8Data, off, off + len) >= 0) {
      throw new IllegalArgumentException("a record's id and data must be single lines");
    }
    int idLength = id.length();
    byte[] record = new byte[HEAD.length + idLength + MIDDLE.length + len + 2];
    System.arraycopy(HEAD, 0, record, 0, HEAD.length);
    int pos = HEAD.length;
    for (int i = 0; i < idLength; i++) {
      char c = id.charAt(i);
      if (c >= 0x80 || c == '\n' || c == '\r') {
        return withEncodedId(id, utf8Data, off, len);
      }
      record[pos++] = (byte) c;
    }
    System.arraycopy(MIDDLE, 0, record, pos, MIDDLE.length);
    pos += MIDDLE.length;
    System.arraycopy(utf8Data, off, record, pos, len);
    record[record.length - 2] = '\n';
    record[record.length - 1] = '\n';
    return record;
  }

  private static byte[] withEncodedId(String id, byte[] utf8Data, int off, int len) {
    if (hasLineBreak(id)) {
      throw new IllegalArgumentException("a record's id and data must be single lines");
    }
    byte[] idBytes = id.getBytes(StandardCharsets.UTF_8);
    byte[] record = new byte[HEAD.length + idBytes.length + MIDDLE.length + len + 2];
    System.arraycopy(HEAD, 0, record, 0, HEAD.length);
    System.arraycopy(idBytes, 0, record, HEAD.length, idBytes.length);
    System.arraycopy(MIDDLE, 0, record, HEAD.length + idBytes.length, MIDDLE.length);
    System.arraycopy(utf8Data, off, record, HEAD.length + idBytes.length + MIDDLE.length, len);
    record[record.length - 2] = '\n';
    record[record.length - 1] = '\n';
    return record;
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
