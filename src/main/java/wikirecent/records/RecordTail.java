package wikirecent.records;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * The end of a {@code recentchanges} file, read backwards from its end only (the file may be many GB): where
 * its last complete record ends (anything after it is a torn write, cut off by {@link #recover}), the last
 * {@code id:} (where a writer resumes), the last {@code meta.dt} (where it resumes by time when the id cannot
 * be used) and the {@code meta.id}s of the last {@code window} records (to drop re-deliveries).
 * <p>
 * Records are read as the SSE text they are, so the seed's raw curl capture reads too: {@code :} comments,
 * blank lines, an id that holds until the next {@code id:} line, LF, CRLF or CR line ends.
 */
public final class RecordTail {

  /** What one record's data says about its event; either may be null. */
  public record Meta(String id, String dt) {
  }

  /**
   * @param size      the file's size after the cut (a record boundary)
   * @param cutBytes  how many bytes of an incomplete record were cut off the end
   * @param lastId    the id in force at the last complete record ({@code ""} if none)
   * @param recentIds {@code meta.id}s of the last records, oldest first
   * @param lastDt    {@code meta.dt} of the last record that has one, or null
   */
  public record Recovery(long size, long cutBytes, String lastId, List<String> recentIds, String lastDt) {
  }

  private static final int BLOCK = 1 << 16;

  private RecordTail() {
  }

  /**
   * Cuts a torn tail off and reads what a writer needs before its first append.
   *
   * @param maxTornBytes the longest an incomplete record can be; a file whose last record boundary is further
   *                     from its end is not a recentchanges file, and is left alone (IOException) rather than cut
   * @param meta         reads an event's data (a message record's data lines, joined by {@code \n})
   */
  public static Recovery recover(Path path, AppendFile file, int window, long maxTornBytes,
                                 Function<byte[], Meta> meta) throws IOException {
    long size = file.size();
    if (size == 0) {
      return new Recovery(0, 0, "", List.of(), null);
    }
    long from = Math.max(0, size - maxTornBytes);
    long end = afterNthLastBlankLine(file, from, size, 1);
    if (end < 0) {
      if (from > 0) {
        throw new IOException(path + " does not end like a recentchanges file (no record boundary in its last "
          + maxTornBytes + " bytes); not touching it");
      }
      end = 0;
    }
    if (end < size) {
      file.truncate(end);
    }
    Recovery r = read(file, end, window, maxTornBytes, meta);
    return new Recovery(end, size - end, r.lastId(), r.recentIds(), r.lastDt());
  }

  /** What the file says up to {@code end}, a record boundary: nothing is cut. */
  public static Recovery read(AppendFile file, long end, int window, long maxTornBytes,
                              Function<byte[], Meta> meta) throws IOException {
    if (end == 0) {
      return new Recovery(0, 0, "", List.of(), null);
    }
    long start = Math.max(0, afterNthLastBlankLine(file, 0, end, window + 1));
    TailReader reader = new TailReader((int) Math.min(Integer.MAX_VALUE / 4, maxTornBytes), meta, start == 0);
    ByteBuffer buffer = ByteBuffer.allocate(BLOCK);
    for (long pos = start; pos < end; pos += BLOCK) {
      int length = (int) Math.min(BLOCK, end - pos);
      readFully(file, buffer, pos, length);
      reader.feed(buffer.array(), length);
    }
    return new Recovery(end, 0, reader.lastId, reader.ids, reader.lastDt);
  }

  /**
   * What to append before the next record so that it starts on a record boundary: nothing when the file is
   * empty or ends with an empty line, {@code "\n"} when its last line is complete but not empty, else
   * {@code "\n\n"}. Then a damaged last record (a file cut in the middle of one, bytes appended by someone else)
   * stays a record of its own, which readers skip, instead of being glued to ours.
   */
  public static byte[] toBoundary(AppendFile file, long size) throws IOException {
    if (size == 0) {
      return new byte[0];
    }
    int n = (int) Math.min(4, size);
    ByteBuffer last = ByteBuffer.allocate(n);
    readFully(file, last, size - n, n);
    byte[] b = last.array();
    if (RecordScanner.endsAtBoundary(b, 0, n, size == n)) {
      return new byte[0];
    }
    return b[n - 1] == '\n' ? new byte[] {'\n'} : new byte[] {'\n', '\n'};
  }

  /**
   * The position just after the n-th last {@code "\n\n"} in {@code [from, to)}, or -1 if there are fewer than n.
   * Reads backwards one block at a time.
   */
  static long afterNthLastBlankLine(AppendFile in, long from, long to, int n) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(BLOCK);
    byte[] block = buffer.array();
    long blockEnd = to;
    boolean haveNext = false;
    byte next = 0;
    int found = 0;
    while (blockEnd > from) {
      long blockStart = Math.max(from, blockEnd - BLOCK);
      int length = (int) (blockEnd - blockStart);
      readFully(in, buffer, blockStart, length);
      for (int i = length - 1; i >= 0; i--) {
        boolean nextIsLf = i + 1 < length ? block[i + 1] == '\n' : haveNext && next == '\n';
        if (block[i] == '\n' && nextIsLf && ++found == n) {
          return blockStart + i + 2;
        }
      }
      haveNext = true;
      next = block[0];
      blockEnd = blockStart;
    }
    return -1;
  }

  private static void readFully(AppendFile in, ByteBuffer buffer, long position, int length) throws IOException {
    buffer.clear().limit(length);
    while (buffer.hasRemaining()) {
      if (in.read(buffer, position + buffer.position()) < 0) {
        throw new IOException("file shrank while reading at " + (position + buffer.position()));
      }
    }
  }

  /**
   * The records of the tail, line by line, as SSE: an {@code id:} line (without NUL) sets the id, an empty
   * line ends a record, a line or a record longer than the limit drops that record.
   */
  private static final class TailReader {
    private static final byte[] DATA = "data".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ID = "id".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT = "event".getBytes(StandardCharsets.US_ASCII);

    private final int maxBytes;
    private final Function<byte[], Meta> meta;
    final List<String> ids = new ArrayList<>();
    String lastId = "";
    String lastDt;

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

    TailReader(int maxBytes, Function<byte[], Meta> meta, boolean atFileStart) {
      this.maxBytes = maxBytes;
      this.meta = meta;
      this.atFileStart = atFileStart;
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
        Meta m = meta.apply(Arrays.copyOf(data, dataLength));
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
}
