package wikirecent.records;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

/**
 * The end of a {@code recentchanges} file, read backwards from its end only (the file may be many GB): where
 * its last complete record ends (anything after it is a torn write, cut off by {@link #recover}), the last
 * {@code id:} (where a writer resumes), the last {@code meta.dt} (where it resumes by time when the id cannot
 * be used) and the {@code meta.id}s of the last {@code window} records (to drop re-deliveries).
 * <p>
 * Records are read as the SSE text they are, so a raw curl capture of the stream reads too: {@code :} comments,
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
    return new Recovery(end, 0, reader.lastId(), reader.ids(), reader.lastDt());
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
   * The position just after the n-th last blank line in {@code [from, to)} (a line end right after another: LF, CRLF
   * or CR, as the file's readers take them), or -1 if there are fewer than n. Reads backwards one block at a time.
   * (Taking only {@code "\n\n"} once made a small CRLF file look like one torn record, cut to nothing.)
   */
  static long afterNthLastBlankLine(AppendFile in, long from, long to, int n) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(BLOCK + 3);
    byte[] b = buffer.array();
    int found = 0;
    for (long blockEnd = to; blockEnd > from; ) {
      long blockStart = Math.max(from, blockEnd - BLOCK);
      // Two bytes before the block and one after it: a blank line's two line ends may straddle blocks.
      long readStart = Math.max(from, blockStart - 2);
      int length = (int) (Math.min(to, blockEnd + 1) - readStart);
      readFully(in, buffer, readStart, length);
      for (int i = (int) (blockEnd - 1 - readStart); i >= blockStart - readStart; i--) {
        if (endsBlankLine(b, i, length) && ++found == n) {
          return readStart + i + 1;
        }
      }
      blockEnd = blockStart;
    }
    return -1;
  }

  /** Whether {@code b[i]} ends a line end that follows another ({@code b[0, length)}; nothing known outside it). */
  private static boolean endsBlankLine(byte[] b, int i, int length) {
    int start; // where the second line end starts
    if (b[i] == '\n') {
      start = i > 0 && b[i - 1] == '\r' ? i - 1 : i;
    } else if (b[i] == '\r' && (i + 1 >= length || b[i + 1] != '\n')) {
      start = i; // a CR alone (one followed by LF is the first half of a CRLF)
    } else {
      return false;
    }
    // A CR right before a lone LF would have made it a CRLF: then only an LF can end the line before.
    return start > 0 && (b[start - 1] == '\n' || b[start - 1] == '\r');
  }

  private static void readFully(AppendFile in, ByteBuffer buffer, long position, int length) throws IOException {
    buffer.clear().limit(length);
    while (buffer.hasRemaining()) {
      if (in.read(buffer, position + buffer.position()) < 0) {
        throw new IOException("file shrank while reading at " + (position + buffer.position()));
      }
    }
  }
}
