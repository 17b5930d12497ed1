package wikirecent.ingest;

import wikirecent.jsonb.LineScan;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Incremental parser of a {@code text/event-stream} body, fed raw bytes in whatever pieces TCP delivers
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
 * <p>
 * Line ends are searched for a word at a time, and a line within one chunk is read where it is: the data of a
 * one-line event is not copied before the listener sees it.
 * Not thread-safe: one parser per connection, fed from one thread.
 */
public final class SseParser {

  /** Receives what the stream says. */
  public interface Listener {
    void onEvent(SseEvent event);

    /**
     * A dispatched event whose data is {@code data[from, to)}: the parser's or the fed chunk's bytes, valid only
     * during the call. By default a copy becomes an {@link SseEvent} for {@link #onEvent(SseEvent)}; a listener
     * that reads the data at once can take it in place and save that copy.
     */
    default void onEvent(String type, String lastEventId, byte[] data, int from, int to) {
      onEvent(new SseEvent(type, lastEventId, Arrays.copyOfRange(data, from, to)));
    }

    /** A {@code retry:} field with a valid value. */
    default void onRetry(long millis) {
    }

    /**
     * An event is being dropped: one of its lines ({@code oneLine}) or its data passed the limit. Said once per
     * event, when it happens; the rest of it is skipped as it comes.
     */
    default void onOversized(String lastEventId, long bytes, boolean oneLine) {
    }

    /** A comment line passed the limit: skipped as it comes; the event around it goes on (a comment is no part of it). */
    default void onOversizedComment(long bytes) {
    }
  }

  private static final byte LF = '\n';
  private static final byte CR = '\r';
  private static final byte[] DATA = ascii("data");
  private static final byte[] EVENT = ascii("event");
  private static final byte[] ID = ascii("id");
  private static final byte[] RETRY = ascii("retry");
  private static final byte[] MESSAGE = ascii(SseEvent.MESSAGE);

  private final Listener listener;
  private final int maxEventBytes;

  // the current line when it spans chunks
  private byte[] line = new byte[1024];
  private int lineLength;
  private boolean lineTooLong;
  private boolean commentTooLong; // the line passing the limit is a comment: it does not drop the event
  private long lineBytes;

  // the event being built
  private byte[] data = new byte[4096];
  private byte[] heldData; // when not null, the data is heldData[heldFrom, heldFrom + dataLength): read in place
  private int heldFrom;
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
  public SseParser(Listener listener, String initialLastEventId, int maxEventBytes) {
    this.listener = listener;
    this.maxEventBytes = maxEventBytes;
    this.idBuffer = initialLastEventId == null ? "" : initialLastEventId;
    this.idBytes = idBuffer.getBytes(StandardCharsets.UTF_8);
    this.lastEventId = idBuffer;
  }

  public SseParser(Listener listener) {
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

  /** Bytes of the unended line held in memory: at most the limit, whatever {@link #partialLineBytes} says. */
  int bufferedLineBytes() {
    return lineLength;
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
      int lineEnd = LineScan.lineBreak(bytes, i, end);
      if (lineEnd < 0) {
        break;
      }
      if (lineLength > 0 || lineTooLong) {
        appendToLine(bytes, start, lineEnd);
        endLine(line, 0, lineLength);
      } else {
        endLine(bytes, start, lineEnd); // the usual case: the whole line is in this chunk, read in place
      }
      i = lineEnd + 1;
      if (bytes[lineEnd] == CR) {
        if (i == end) {
          skipLeadingLf = true;
        } else if (bytes[i] == LF) {
          i++;
        }
      }
      start = i;
    }
    keepData(); // data still read in place must outlive this chunk (and the line buffer's next use)
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
        commentTooLong = startsAComment(line, lineLength, bytes, from, to);
        lineLength = 0;
        lineTooLong(lineBytes, commentTooLong);
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
      boolean comment = lineTooLong ? commentTooLong : startsAComment(buf, 0, buf, from, to);
      if (!lineTooLong) {
        lineTooLong(to - from, comment);
      }
      if (comment) {
        progress++; // still a comment: the server is there
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

  /**
   * Whether the line made of {@code head[0, headLength)} then {@code more[from, to)} is a comment; on the stream's
   * first line, after the BOM a server may put first.
   */
  private boolean startsAComment(byte[] head, int headLength, byte[] more, int from, int to) {
    int at = atStart && byteAt(0, head, headLength, more, from, to) == 0xEF
      && byteAt(1, head, headLength, more, from, to) == 0xBB && byteAt(2, head, headLength, more, from, to) == 0xBF ? 3 : 0;
    return byteAt(at, head, headLength, more, from, to) == ':';
  }

  private static int byteAt(int k, byte[] head, int headLength, byte[] more, int from, int to) {
    if (k < headLength) {
      return head[k] & 0xFF;
    }
    int i = from + k - headLength;
    return i < to ? more[i] & 0xFF : -1;
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
      heldData = null;
      return;
    }
    if (dataLines == 0) {
      // Most events have one data line, dispatched before the chunk ends: read it in place, copy it once.
      heldData = buf;
      heldFrom = from;
      dataLength = n;
      dataLines = 1;
      return;
    }
    keepData();
    if (dataLength + n > data.length) {
      data = Arrays.copyOf(data, Math.max(data.length * 2, dataLength + n));
    }
    data[dataLength++] = LF;
    System.arraycopy(buf, from, data, dataLength, to - from);
    dataLength += to - from;
    dataLines++;
  }

  /** Copies data read in place into the parser's own buffer. */
  private void keepData() {
    if (heldData != null) {
      if (dataLength > data.length) {
        data = new byte[Math.max(data.length * 2, dataLength)];
      }
      System.arraycopy(heldData, heldFrom, data, 0, dataLength);
      heldData = null;
    }
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

  /** A line passed the limit: a comment is skipped alone, any other line drops the event being built. */
  private void lineTooLong(long bytes, boolean comment) {
    if (comment) {
      listener.onOversizedComment(bytes);
    } else {
      tooLong(bytes, true);
    }
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
      heldData = null;
      progress++;
      return;
    }
    if (dataLines == 0) {
      return;
    }
    progress++;
    byte[] buf = heldData != null ? heldData : data;
    int from = heldData != null ? heldFrom : 0;
    int to = from + dataLength;
    heldData = null;
    dataLength = 0;
    dataLines = 0;
    listener.onEvent(type, lastEventId, buf, from, to);
  }

  private static boolean is(byte[] buf, int from, int length, byte[] word) {
    return length == word.length && Arrays.equals(buf, from, from + length, word, 0, length);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
