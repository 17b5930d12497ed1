package wikirecent.records;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * The records of the tail, line by line, as SSE: an {@code id:} line (without NUL) sets the id, an empty
 * line ends a record, a line or a record longer than the limit drops that record.
 */
final class TailReader {

  private static final byte[] DATA = "data".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] ID = "id".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] EVENT = "event".getBytes(StandardCharsets.US_ASCII);

  private final int maxBytes;
  private final Function<byte[], RecordTail.Meta> meta;
  private final List<String> ids = new ArrayList<>();
  private String lastId = "";
  private String lastDt;

  private byte[] line = new byte[1024];
  private int lineLength;
  private boolean lineTooLong;
  private boolean skipLf;

  private String id = "";
  private byte[] data = new byte[4096];
  private int dataLength;
  private int dataLines;
  private boolean message = true;
  private boolean tooLong;
  private boolean atFileStart;

  TailReader(int maxBytes, Function<byte[], RecordTail.Meta> meta, boolean atFileStart) {
    this.maxBytes = maxBytes;
    this.meta = meta;
    this.atFileStart = atFileStart;
  }

  /** The id in force at the last complete record ({@code ""} if none). */
  String lastId() {
    return lastId;
  }

  /** The {@code meta.id}s of the message records read, in order. */
  List<String> ids() {
    return ids;
  }

  /** The {@code meta.dt} of the last record that had one, or null. */
  String lastDt() {
    return lastDt;
  }

  void feed(byte[] b, int length) {
    int start = 0;
    for (int i = 0; i < length; i++) {
      byte c = b[i];
      if (skipLf) {
        skipLf = false;
        if (c == '\n') {
          start = i + 1;
          continue;
        }
      }
      if (c == '\n' || c == '\r') {
        if (lineLength > 0 || lineTooLong) {
          append(b, start, i);
          endLine(line, 0, lineLength);
        } else {
          endLine(b, start, i);
        }
        skipLf = c == '\r';
        start = i + 1;
      }
    }
    append(b, start, length);
  }

  private void append(byte[] b, int from, int to) {
    if (from == to) {
      return;
    }
    if (lineTooLong || lineLength + (to - from) > maxBytes) {
      lineTooLong = true;
      lineLength = 0;
      return;
    }
    if (lineLength + (to - from) > line.length) {
      line = Arrays.copyOf(line, Math.max(2 * line.length, lineLength + (to - from)));
    }
    System.arraycopy(b, from, line, lineLength, to - from);
    lineLength += to - from;
  }

  private void endLine(byte[] b, int from, int to) {
    boolean dropped = lineTooLong || to - from > maxBytes;
    lineTooLong = false;
    lineLength = 0;
    if (atFileStart) {
      atFileStart = false;
      if (to - from >= 3 && b[from] == (byte) 0xEF && b[from + 1] == (byte) 0xBB && b[from + 2] == (byte) 0xBF) {
        from += 3; // a UTF-8 byte-order mark, as SSE allows at the start
      }
    }
    if (dropped) {
      tooLong = true;
    } else if (from == to) {
      endRecord();
    } else if (b[from] != ':') {
      field(b, from, to);
    }
  }

  private void field(byte[] b, int from, int to) {
    int colon = from;
    while (colon < to && b[colon] != ':') {
      colon++;
    }
    int value = colon;
    if (colon < to) {
      value++;
      if (value < to && b[value] == ' ') {
        value++;
      }
    }
    if (is(b, from, colon, DATA)) {
      int extra = dataLines > 0 ? 1 : 0;
      if (tooLong || dataLength + extra + (to - value) > maxBytes) {
        tooLong = true;
        return;
      }
      if (dataLength + extra + (to - value) > data.length) {
        data = Arrays.copyOf(data, Math.max(2 * data.length, dataLength + extra + (to - value)));
      }
      if (extra > 0) {
        data[dataLength++] = '\n';
      }
      System.arraycopy(b, value, data, dataLength, to - value);
      dataLength += to - value;
      dataLines++;
    } else if (is(b, from, colon, ID)) {
      for (int i = value; i < to; i++) {
        if (b[i] == 0) {
          return;
        }
      }
      id = new String(b, value, to - value, StandardCharsets.UTF_8);
    } else if (is(b, from, colon, EVENT)) {
      message = to == value || new String(b, value, to - value, StandardCharsets.UTF_8).equals("message");
    }
  }

  private void endRecord() {
    lastId = id;
    if (!tooLong && dataLines > 0 && message) {
      RecordTail.Meta m = meta.apply(Arrays.copyOf(data, dataLength));
      if (m.id() != null) {
        ids.add(m.id());
      }
      if (m.dt() != null) {
        lastDt = m.dt();
      }
    }
    tooLong = false;
    dataLength = 0;
    dataLines = 0;
    message = true;
  }

  private static boolean is(byte[] b, int from, int to, byte[] word) {
    return to - from == word.length && Arrays.equals(b, from, to, word, 0, word.length);
  }
}
