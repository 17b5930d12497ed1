package wikirecent.records;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * The data file as its one writer sees it. A seam so tests can make a real file run out of space or stall;
 * production uses {@link ChannelAppendFile}.
 */
public interface AppendFile extends Closeable {

  /** Opens (creating if needed) the file at a path for appending. */
  @FunctionalInterface
  interface Opener {
    AppendFile open(Path path) throws IOException;
  }

  long size() throws IOException;

  /** Appends all of {@code record} with one write call; throws if any of it was not written. */
  void append(ByteBuffer record) throws IOException;

  /** Reads from the file this was opened on (even once its name is gone): bytes read, -1 at the end. */
  int read(ByteBuffer dst, long position) throws IOException;

  void truncate(long size) throws IOException;

  /** Makes everything appended so far durable (fdatasync). */
  void force() throws IOException;

  /** The identity of the file opened ({@code BasicFileAttributes.fileKey()}), or null where the platform has none. */
  Object fileKey();
}
