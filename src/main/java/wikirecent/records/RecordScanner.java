package wikirecent.records;

import wikirecent.jsonb.LineScan;
import wikirecent.records.RecordFormat;

/**
 * Splits bytes of the {@code recentchanges} file into records (lines up to an empty line) and hands
 * the {@code data: } lines of COMPLETE records to a sink. The data lines of a record whose empty
 * line has not arrived yet are not handed over: a torn tail is never applied, and every offset
 * the engine stands at is a record boundary.
 * <p>
 * A line ending in {@code \r\n} works too: the {@code \r} is JSON whitespace, and a line holding
 * only {@code \r} ends a record. Lines other than {@code data: } (event, id, comments) are ignored,
 * as Materialize's {@code FORMAT REGEX '^data: (?P<data>.*)'} ignores them.
 */
public final class RecordScanner {

  /** Receives one data line's text (after {@code "data: "}, without its line feed), unchecked: the reader checks it as it reads. */
  public interface DataSink {
    void data(byte[] b, int off, int len);
  }

  private static final byte[] DATA = RecordFormat.DATA_PREFIX_BYTES;

  // Data lines of the record being read: (offset, length) pairs.
  private int[] pending = new int[2 * 4];
  private int pendingCount;

  /**
   * Scans {@code b[from, limit)}, which must start at a record boundary. Returns the index just
   * after the last complete record ({@code from} if there is none).
   */
  public int scan(byte[] b, int from, int limit, DataSink sink) {
    int boundary = from;
    int i = from;
    pendingCount = 0;
    while (i < limit) {
      int end;
      if (RecordFormat.startsWith(b, i, limit, DATA)) {
        end = LineScan.newline(b, i + DATA.length, limit);
        if (end < 0) {
          break; // the rest is an unfinished line
        }
        hold(i + DATA.length, end - i - DATA.length);
      } else {
        end = LineScan.newline(b, i, limit);
        if (end < 0) {
          break;
        }
        if (end == i || (end == i + 1 && b[i] == '\r')) {
          for (int k = 0; k < pendingCount; k++) {
            sink.data(b, pending[2 * k], pending[2 * k + 1]);
          }
          pendingCount = 0;
          boundary = end + 1;
        }
      }
      i = end + 1;
    }
    pendingCount = 0;
    return boundary;
  }

  private void hold(int off, int len) {
    if (2 * pendingCount + 2 > pending.length) {
      pending = java.util.Arrays.copyOf(pending, pending.length * 2);
    }
    pending[2 * pendingCount] = off;
    pending[2 * pendingCount + 1] = len;
    pendingCount++;
  }

  /** True if {@code b[from, to)} ends with an empty line, i.e. {@code to} is a record boundary (or the start of the file). */
  public static boolean endsAtBoundary(byte[] b, int from, int to, boolean atFileStart) {
    if (to == from) {
      return atFileStart;
    }
    if (b[to - 1] != '\n') {
      return false;
    }
    int lineStart = to - 1;
    if (lineStart > from && b[lineStart - 1] == '\r') {
      lineStart--;
    }
    if (lineStart == from) {
      return atFileStart; // the empty line starts the buffer: only known to be a line start at the file's start
    }
    return b[lineStart - 1] == '\n';
  }
}
