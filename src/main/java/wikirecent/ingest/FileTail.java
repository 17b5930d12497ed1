package wikirecent.ingest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * What ingest needs from the file before its first append, read from the end only (the file may be many GB):
 * the end of the last complete record (anything after it is a torn write and is cut off), the last {@code id:}
 * (where to resume) and the {@code meta.id}s of the last {@code window} records (to drop re-deliveries).
 */
final class FileTail {

  /**
   * @param size      the file's size after the cut
   * @param cutBytes  how many bytes of an incomplete record were cut off the end
   * @param lastId    the id in force at the last complete record ({@code ""} if none)
   * @param recentIds {@code meta.id}s of the last records, oldest first
   */
  record Recovery(long size, long cutBytes, String lastId, List<String> recentIds) {
  }

  private static final int BLOCK = 1 << 16;

  private FileTail() {
  }

  /**
   * @param maxTornBytes the longest an incomplete record can be; a file whose last record boundary is further
   *                     from its end is not a recentchanges file, and is left alone (IOException) rather than cut
   */
  static Recovery recover(Path path, AppendFile file, int window, long maxTornBytes) throws IOException {
    long size = file.size();
    if (size == 0) {
      return new Recovery(0, 0, "", List.of());
    }
    try (FileChannel in = FileChannel.open(path, StandardOpenOption.READ)) {
      long from = Math.max(0, size - maxTornBytes);
      long end = afterNthLastBlankLine(in, from, size, 1);
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
      long start = end == 0 ? 0 : Math.max(0, afterNthLastBlankLine(in, 0, end, window + 1));
      Tail tail = readTail(in, start, end, (int) Math.min(Integer.MAX_VALUE / 4, maxTornBytes));
      return new Recovery(end, size - end, tail.lastId, tail.ids);
    }
  }

  /**
   * The position just after the n-th last {@code "\n\n"} in {@code [from, to)}, or -1 if there are fewer than n.
   * Reads backwards one block at a time.
   */
  static long afterNthLastBlankLine(FileChannel in, long from, long to, int n) throws IOException {
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

  private record Tail(String lastId, List<String> ids) {
  }

  private static Tail readTail(FileChannel in, long start, long end, int maxLineBytes) throws IOException {
    List<String> ids = new ArrayList<>();
    SseParser parser = new SseParser(event -> {
      if (event.isMessage()) {
        String id = EventJson.inspect(event.data()).metaId();
        if (id != null) {
          ids.add(id);
        }
      }
    }, "", maxLineBytes);
    ByteBuffer buffer = ByteBuffer.allocate(BLOCK);
    for (long pos = start; pos < end; pos += BLOCK) {
      int length = (int) Math.min(BLOCK, end - pos);
      readFully(in, buffer, pos, length);
      parser.feed(buffer.array(), 0, length);
    }
    return new Tail(parser.lastEventId(), ids);
  }

  private static void readFully(FileChannel in, ByteBuffer buffer, long position, int length) throws IOException {
    buffer.clear().limit(length);
    while (buffer.hasRemaining()) {
      if (in.read(buffer, position + buffer.position()) < 0) {
        throw new IOException("file shrank while reading at " + (position + buffer.position()));
      }
    }
  }
}
