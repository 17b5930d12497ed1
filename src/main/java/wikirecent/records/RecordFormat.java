package wikirecent.records;

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
   * The same record, with the data given as UTF-8 bytes: ingest holds the event's data as bytes, and going
   * through a String and back costs more than the rest of its work per event.
   */
  public static byte[] record(String id, byte[] utf8Data) {
    byte[] head = (EVENT_LINE + '\n' + ID_PREFIX + id + '\n' + DATA_PREFIX).getBytes(StandardCharsets.UTF_8);
    if (hasLineBreak(id)) {
      throw new IllegalArgumentException("a record's id and data must be single lines");
    }
    for (byte b : utf8Data) {
      if (b == '\n' || b == '\r') {
        throw new IllegalArgumentException("a record's id and data must be single lines");
      }
    }
    byte[] record = new byte[head.length + utf8Data.length + 2];
    System.arraycopy(head, 0, record, 0, head.length);
    System.arraycopy(utf8Data, 0, record, head.length, utf8Data.length);
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
