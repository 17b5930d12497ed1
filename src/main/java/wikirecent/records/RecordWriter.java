package wikirecent.records;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Appends records to the data file, one write call per record, and never leaves part of a record behind: when
 * a write fails the file is cut back to its size before that record. Runs on one thread only (the ingest
 * writer thread); the event loop hands it batches in order.
 */
public final class RecordWriter implements AutoCloseable {

  /**
   * @param written how many records of the batch are in the file (all of them unless {@code error})
   * @param size    the file's size afterwards
   * @param bytes   bytes appended by this batch
   * @param error   why record number {@code written} failed, or null
   */
  public record Result(int written, long size, long bytes, IOException error) {
  }

  private final AppendFile file;
  private final long fsyncMillis;
  private final LongSupplier clock;
  private long size;
  private boolean dirty;
  private long lastSync;

  private final RecordTail.Recovery recovery;

  private RecordWriter(AppendFile file, RecordTail.Recovery recovery, long fsyncMillis, LongSupplier clock) {
    this.file = file;
    this.recovery = recovery;
    this.size = recovery.size();
    this.fsyncMillis = fsyncMillis;
    this.clock = clock;
    this.lastSync = clock.getAsLong();
  }

  /** Opens the file, cuts a torn tail and reads where to resume: everything before the first append. */
  public static RecordWriter open(Path path, AppendFile.Opener opener, int window, long maxTornBytes, long fsyncMillis,
                                  LongSupplier clock, Function<byte[], RecordTail.Meta> meta) throws IOException {
    AppendFile file = opener.open(path);
    try {
      RecordTail.Recovery recovery = RecordTail.recover(path, file, window, maxTornBytes, meta);
      return new RecordWriter(file, recovery, fsyncMillis, clock);
    } catch (IOException | RuntimeException e) {
      file.close();
      throw e;
    }
  }

  /** What was found in the file when it was opened. */
  public RecordTail.Recovery recovery() {
    return recovery;
  }

  public long size() {
    return size;
  }

  public Result append(List<byte[]> records) {
    long bytes = 0;
    for (int i = 0; i < records.size(); i++) {
      byte[] record = records.get(i);
      long before = size;
      try {
        file.append(ByteBuffer.wrap(record));
        size += record.length;
        dirty = true;
        if (fsyncMillis == 0) {
          sync();
        }
      } catch (IOException e) {
        undo(before, e);
        return new Result(i, size, bytes, e);
      }
      bytes += record.length;
    }
    if (fsyncMillis > 0 && clock.getAsLong() - lastSync >= fsyncMillis) {
      try {
        syncIfDirty();
      } catch (IOException e) {
        // The records are in the page cache (a kill -9 keeps them) but not known to be on disk: stop all the
        // same, so whoever watches sees the disk is in trouble. Nothing is cut: they are complete records.
        return new Result(records.size(), size, bytes, e);
      }
    }
    return new Result(records.size(), size, bytes, null);
  }

  /** fsync if anything was written since the last one (the periodic fsync of {@code ingest.fsyncMillis}). */
  public void syncIfDirty() throws IOException {
    if (dirty) {
      sync();
    }
  }

  private void sync() throws IOException {
    file.force();
    dirty = false;
    lastSync = clock.getAsLong();
  }

  private void undo(long before, IOException cause) {
    try {
      file.truncate(before);
      size = before;
    } catch (IOException e) {
      // The next open cuts the torn record anyway (it has no blank line after it).
      cause.addSuppressed(e);
    }
  }

  /** Closes the file; {@code sync} makes what was written durable first. */
  public void close(boolean sync) throws IOException {
    try {
      if (sync) {
        syncIfDirty();
      }
    } finally {
      file.close();
    }
  }

  @Override
  public void close() throws IOException {
    close(false);
  }
}
