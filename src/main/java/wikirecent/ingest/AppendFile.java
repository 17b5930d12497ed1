package wikirecent.ingest;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * The data file as the writer sees it. A seam so tests can make a real file run out of space; production
 * uses {@link ChannelAppendFile}.
 */
interface AppendFile extends Closeable {

  /** Opens (creating if needed) the file at a path for appending. */
  @FunctionalInterface
  interface Opener {
    AppendFile open(Path path) throws IOException;
  }

  long size() throws IOException;

  /** Appends all of {@code record} with one write call; throws if any of it was not written. */
  void append(ByteBuffer record) throws IOException;

  void truncate(long size) throws IOException;

  /** Makes everything appended so far durable (fdatasync). */
  void force() throws IOException;
}
