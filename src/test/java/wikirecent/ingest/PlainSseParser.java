package wikirecent.ingest;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The byte-at-a-time SSE parser ingest used before {@link SseParser} searched for line ends a word at a time and
 * copied ranges, kept as the oracle its property test compares with. Incremental parser of a {@code text/event-stream} body, fed raw bytes in whatever pieces TCP delivers
 * (WHATWG HTML, "Server-sent events", event stream interpretation):
 * <ul>
 *   <li>a UTF-8 BOM at the very start is skipped;</li>
 *   <li>lines end with LF, CRLF or a lone CR, also when the CR ends one chunk and the LF starts the next;</li>
 *   <li>{@code :comment} lines are ignored; {@code field: value} loses one leading space; a bare {@code field} has an empty value;</li>
 *   <li>{@code data} lines are joined by {@code \n}; {@code id} sets the last event id unless it contains NUL, and
 *       an event without {@code id} keeps the previous one; {@code retry} is taken only if all ASCII digits;</li>
 *   <li>an empty line dispatches the event, unless no {@code data} line came since the last one.</li>
 * </ul>
 * A line or an event longer than {@code maxEventBytes} is not buffered: it is dropped and reported as oversized the
 * moment it passes the limit (a line that never ends is reported all the same). {@link #progress()} counts what
 * shows the stream is alive: dispatched events and comment lines, not bytes.
 * Not thread-safe: one parser per connection, fed from one thread.
 */
final class PlainSseParser {

  private static final byte LF = '\n';
  private static final byte CR = '\r';
  private static final byte[] DATA = ascii("data");
  private static final byte[] EVENT = ascii("event");
  private static final byte[] ID = ascii("id");
  private static final byte[] RETRY = ascii("retry");
  private static final byte[] MESSAGE = ascii(SseEvent.MESSAGE);

  private final SseParser.Listener listener;
  private final int maxEventBytes;

  // the current line when it spans chunks
  private byte[] line = new byte[1024];
  private int lineLength;
  private boolean lineTooLong;
  private boolean commentTooLong; // a comment passing the limit is skipped: no event is dropped with it
  private long lineBytes;

  // the event being built
  private byte[] data = new byte[4096];
  private int dataLength;
  private int dataLines;
  private boolean eventTooLong;
  private String eventType;

  private String idBuffer;
  private byte[] idBytes = new byte[0];
  private String lastEventId;

  private boolean atStart = true;
  private boolean skipLeadingLf;
  private long progress;

  /**
   * @param initialLastEventId the id in force before the first {@code id:} field (the one a reconnect resumed from),
   *                           so events before the first {@code id:} carry it, as a browser's EventSource does
   */
  PlainSseParser(SseParser.Listener listener, String initialLastEventId, int maxEventBytes) {
    this.listener = listener;
    this.maxEventBytes = maxEventBytes;
    this.idBuffer = initialLastEventId == null ? "" : initialLastEventId;
    this.idBytes = idBuffer.getBytes(StandardCharsets.UTF_8);
    this.lastEventId = idBuffer;
  }

  PlainSseParser(SseParser.Listener listener) {
    this(listener, "", 16 * 1024 * 1024);
  }

  /** The last event id in force: what a reconnect would send as {@code Last-Event-ID}. */
  public String lastEventId() {
    return lastEventId;
  }

  /** How many events (of any type, oversized ones too) and comment lines (heartbeats) came so far. */
  public long progress() {
    return progress;
  }

  /** Bytes of the line that has not ended yet, dropped ones included. */
  public long partialLineBytes() {
    return lineBytes;
  }

  public void feed(byte[] bytes) {
    feed(bytes, 0, bytes.length);
  }

  public void feed(byte[] bytes, int offset, int length) {
    int end = offset + length;
    int i = offset;
    if (skipLeadingLf && i < end) {
      skipLeadingLf = false;
      if (bytes[i] == LF) {
        i++;
      }
    }
    int start = i;
    while (i < end) {
      byte b = bytes[i];
      if (b != LF && b != CR) {
        i++;
        continue;
      }
      if (lineLength > 0 || lineTooLong) {
        appendToLine(bytes, start, i);
        endLine(line, 0, lineLength);
      } else {
        endLine(bytes, start, i);
      }
      i++;
      if (b == CR) {
        if (i == end) {
          skipLeadingLf = true;
        } else if (bytes[i] == LF) {
          i++;
        }
      }
      start = i;
    }
    if (start < end) {
      appendToLine(bytes, start, end);
    }
  }

  private void appendToLine(byte[] bytes, int from, int to) {
    int n = to - from;
    lineBytes += n;
    if (lineTooLong || lineLength + n > maxEventBytes) {
      if (!lineTooLong) {
        lineTooLong = true;
        commentTooLong = isComment(firstBytes(bytes, from, to));
        lineLength = 0;
        if (commentTooLong) {
          listener.onOversizedComment(lineBytes);
        } else {
          tooLong(lineBytes, true);
        }
      }
      return;
    }
    if (lineLength + n > line.length) {
      line = Arrays.copyOf(line, Math.max(line.length * 2, lineLength + n));
    }
    System.arraycopy(bytes, from, line, lineLength, n);
    lineLength += n;
  }

  private void endLine(byte[] buf, int from, int to) {
    if (lineTooLong || to - from > maxEventBytes) {
      boolean comment = lineTooLong ? commentTooLong : isComment(Arrays.copyOfRange(buf, from, Math.min(to, from + 4)));
      if (!lineTooLong) {
        if (comment) {
          listener.onOversizedComment(to - from);
        } else {
          tooLong(to - from, true);
        }
      }
      if (comment) {
        progress++; // a comment all the same
      }
      lineTooLong = false;
      commentTooLong = false;
      lineLength = 0;
      lineBytes = 0;
      atStart = false;
      return;
    }
    lineLength = 0;
    lineBytes = 0;
    if (atStart) {
      atStart = false;
      if (to - from >= 3 && buf[from] == (byte) 0xEF && buf[from + 1] == (byte) 0xBB && buf[from + 2] == (byte) 0xBF) {
        from += 3;
      }
    }
    processLine(buf, from, to);
  }

  // the first four bytes of the line so far followed by more[from, to)
  private byte[] firstBytes(byte[] more, int from, int to) {
    byte[] head = Arrays.copyOf(line, Math.min(lineLength, 4));
    byte[] all = Arrays.copyOf(head, Math.min(4, head.length + to - from));
    System.arraycopy(more, from, all, head.length, all.length - head.length);
    return all;
  }

  // a comment starts with ':', on the first line after an optional BOM
  private boolean isComment(byte[] first) {
    int at = atStart && first.length >= 3 && first[0] == (byte) 0xEF && first[1] == (byte) 0xBB && first[2] == (byte) 0xBF ? 3 : 0;
    return first.length > at && first[at] == ':';
  }

  private void processLine(byte[] buf, int from, int to) {
    if (from == to) {
      dispatch();
      return;
    }
    if (buf[from] == ':') {
      progress++; // a comment: how servers say "still here, nothing new"
      return;
    }
    int colon = from;
    while (colon < to && buf[colon] != ':') {
      colon++;
    }
    int valueFrom = colon;
    if (colon < to) {
      valueFrom++;
      if (valueFrom < to && buf[valueFrom] == ' ') {
        valueFrom++;
      }
    }
    int fieldLength = colon - from;
    if (is(buf, from, fieldLength, DATA)) {
      appendData(buf, valueFrom, to);
    } else if (is(buf, from, fieldLength, ID)) {
      setId(buf, valueFrom, to);
    } else if (is(buf, from, fieldLength, EVENT)) {
      eventType = is(buf, valueFrom, to - valueFrom, MESSAGE) ? SseEvent.MESSAGE
        : new String(buf, valueFrom, to - valueFrom, StandardCharsets.UTF_8);
    } else if (is(buf, from, fieldLength, RETRY)) {
      retry(buf, valueFrom, to);
    }
    // any other field is ignored, as the spec says
  }

  private void appendData(byte[] buf, int from, int to) {
    if (eventTooLong) {
      return;
    }
    int n = to - from + (dataLines > 0 ? 1 : 0);
    if (dataLength + n > maxEventBytes) {
      tooLong((long) dataLength + n, false);
      dataLength = 0;
      return;
    }
    if (dataLength + n > data.length) {
      data = Arrays.copyOf(data, Math.max(data.length * 2, dataLength + n));
    }
    if (dataLines > 0) {
      data[dataLength++] = LF;
    }
    System.arraycopy(buf, from, data, dataLength, to - from);
    dataLength += to - from;
    dataLines++;
  }

  private void setId(byte[] buf, int from, int to) {
    for (int i = from; i < to; i++) {
      if (buf[i] == 0) {
        return;
      }
    }
    // Consecutive events often repeat the id (Wikimedia's timestamp ids): keep the same String then.
    if (!Arrays.equals(idBytes, 0, idBytes.length, buf, from, to)) {
      idBytes = Arrays.copyOfRange(buf, from, to);
      idBuffer = new String(idBytes, StandardCharsets.UTF_8);
    }
  }

  private void retry(byte[] buf, int from, int to) {
    if (from == to || to - from > 18) {
      return;
    }
    long value = 0;
    for (int i = from; i < to; i++) {
      byte b = buf[i];
      if (b < '0' || b > '9') {
        return;
      }
      value = value * 10 + (b - '0');
    }
    listener.onRetry(value);
  }

  /** The event being built is dropped (reported once, now); what is left of it is skipped as it comes. */
  private void tooLong(long bytes, boolean oneLine) {
    if (!eventTooLong) {
      eventTooLong = true;
      listener.onOversized(idBuffer, bytes, oneLine);
    }
  }

  private void dispatch() {
    lastEventId = idBuffer;
    String type = eventType == null || eventType.isEmpty() ? SseEvent.MESSAGE : eventType;
    eventType = null;
    if (eventTooLong) {
      eventTooLong = false;
      dataLength = 0;
      dataLines = 0;
      progress++;
      return;
    }
    if (dataLines == 0) {
      return;
    }
    progress++;
    byte[] payload = Arrays.copyOf(data, dataLength);
    dataLength = 0;
    dataLines = 0;
    listener.onEvent(new SseEvent(type, lastEventId, payload));
  }

  private static boolean is(byte[] buf, int from, int length, byte[] word) {
    return length == word.length && Arrays.equals(buf, from, from + length, word, 0, length);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
