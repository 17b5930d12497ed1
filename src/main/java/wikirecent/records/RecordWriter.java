package wikirecent.records;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Appends records to the data file, a batch's records that fit in {@value #BATCH_BYTES} bytes with one write call
 * (one per record when every record is fsynced), and never leaves part of a record behind: when a write fails the
 * file is cut back to the end of the last record it holds whole, and the record after it is the one that failed.
 * A file that changed size behind its back
 * (cut short, written by someone else) gets its next append started on a record boundary
 * ({@link RecordTail#toBoundary}). Also tells whether its path still names the file it writes. Runs on one
 * thread only (the ingest writer thread); the event loop hands it batches in order.
 */
public final class RecordWriter implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RecordWriter.class);

  /** The most one write call appends (records that fit together); a bigger record is written on its own. */
  static final int BATCH_BYTES = 1 << 20;

  /**
   * @param written  how many records of the batch are in the file (all of them unless {@code error})
   * @param size     the file's size afterwards
   * @param bytes    bytes appended by this batch's records
   * @param repaired true if the file had changed size and the batch first put it back on a record boundary
   * @param error    why record number {@code written} failed, or null
   */
  public record Result(int written, long size, long bytes, boolean repaired, IOException error) {
  }

  private final Path path;
  private final AppendFile file;
  private final int window;
  private final long maxTornBytes;
  private final long fsyncMillis;
  private final LongSupplier clock;
  private final Function<byte[], RecordTail.Meta> meta;
  private final RecordTail.Recovery recovery;
  private final boolean carried;
  private long size;
  private long confirmedSize; // the size when the path was last seen to name this file
  private boolean dirty;
  private long lastSync;
  // The size at the last fsync that worked, none failing before it. After a failed one the kernel may have dropped the
  // pages it could not write (and a second fsync "succeeds"): past this size the file is not known to be on disk.
  private long durableSize;
  private boolean syncFailed;

  private RecordWriter(Path path, AppendFile file, int window, long maxTornBytes, long fsyncMillis,
                       LongSupplier clock, Function<byte[], RecordTail.Meta> meta, RecordTail.Recovery recovery, boolean carried) {
    this.path = path;
    this.file = file;
    this.window = window;
    this.maxTornBytes = maxTornBytes;
    this.fsyncMillis = fsyncMillis;
    this.clock = clock;
    this.meta = meta;
    this.recovery = recovery;
    this.carried = carried;
    this.size = recovery.size();
    this.confirmedSize = size;
    this.durableSize = size;
    this.lastSync = clock.getAsLong();
  }

  /** Opens the file, cuts a torn tail and reads where to resume: everything before the first append. */
  public static RecordWriter open(Path path, AppendFile.Opener opener, int window, long maxTornBytes, long fsyncMillis,
                                  LongSupplier clock, Function<byte[], RecordTail.Meta> meta) throws IOException {
    return open(path, opener, window, maxTornBytes, fsyncMillis, clock, meta, null);
  }

  /** The same, going on from {@code carry} (a moved file's, {@link #closeForReopen}) if the file is empty; null: its own. */
  public static RecordWriter open(Path path, AppendFile.Opener opener, int window, long maxTornBytes, long fsyncMillis,
                                   LongSupplier clock, Function<byte[], RecordTail.Meta> meta, RecordTail.Recovery carry)
    throws IOException {
    AppendFile file = opener.open(path);
    try {
      RecordTail.Recovery own = RecordTail.recover(path, file, window, maxTornBytes, meta);
      boolean carried = carry != null && own.size() == 0;
      RecordTail.Recovery recovery = carried
        ? new RecordTail.Recovery(0, own.cutBytes(), carry.lastId(), carry.recentIds(), carry.lastDt()) : own;
      return new RecordWriter(path, file, window, maxTornBytes, fsyncMillis, clock, meta, recovery, carried);
    } catch (IOException | RuntimeException | Error e) { // an Error too (memory for a long tail): the lock must go
      try {
        file.close();
      } catch (IOException closing) {
        e.addSuppressed(closing);
      }
      throw e;
    }
  }

  /**
   * Closes this writer and opens the path again (after a write failure, or once it names another file). When the
   * path now names another file and that one is empty, the new writer goes on from what this file held when the
   * path last named it ({@link #carried()}): its last id and time, its recent {@code meta.id}s.
   */
  public RecordWriter reopen(AppendFile.Opener opener) throws IOException {
    return open(path, opener, window, maxTornBytes, fsyncMillis, clock, meta, closeForReopen());
  }

  /**
   * Closes this writer to open the path again: what the next file goes on from if the path now names another file
   * (see {@link #reopen}), or what this one went on from if it holds nothing of its own yet, else null. Kept by the
   * caller until an open succeeds, so a failed one does not lose it.
   */
  public RecordTail.Recovery closeForReopen() throws IOException {
    RecordTail.Recovery carry = null;
    try {
      if (fsyncMillis >= 0) {
        // The next file goes on after this one's records: durable first (or cut back to what is), or a power cut
        // leaves a gap in the moved file that no restart fetches again (it resumes from the new file).
        settle();
      }
      if (checkPath() != null) {
        carry = confirmedTail();
      }
      if (carried && (carry == null || carry.size() == 0)) {
        // What it went on from, should it still hold nothing of its own (its first write failed, or the path moved
        // again): the next open takes a carry only for an empty file.
        carry = recovery;
      }
    } finally {
      close(false);
    }
    return carry;
  }

  /** Where to resume: what was found in the file when it was opened, or what was carried over to it. */
  public RecordTail.Recovery recovery() {
    return recovery;
  }

  /** True if {@link #recovery()} is the file this one took the place of, as it was when last at the path. */
  public boolean carried() {
    return carried;
  }

  public long size() {
    return size;
  }

  /** Appends records already made (one array each); see {@link #append(RecordBatch)}. */
  public Result append(List<byte[]> records) {
    RecordBatch batch = new RecordBatch();
    records.forEach(batch::add);
    return append(batch);
  }

  public Result append(RecordBatch records) {
    boolean repaired;
    try {
      repaired = onBoundary();
    } catch (IOException e) {
      undo(size, e); // a truncate never makes a file longer: at worst this does nothing
      return new Result(0, size, 0, false, e);
    }
    long bytes = 0;
    int n = records.count();
    int i = 0;
    while (i < n) {
      int end = fsyncMillis == 0 ? i + 1 : sliceEnd(records, i); // an fsync per record means a write per record
      int from = records.start(i);
      int length = records.end(end - 1) - from;
      long before = size;
      try {
        file.append(ByteBuffer.wrap(records.bytes(), from, length));
        size += length;
        dirty = true;
        bytes += length;
        i = end;
      } catch (IOException e) {
        int failed = end - i > 1 ? completeRecords(records, i, end, before) : i;
        long kept = before + records.start(failed) - from;
        size = kept; // the records before the failed one stay: a reader may have seen them
        undo(kept, e);
        return new Result(failed, size, bytes + (kept - before), repaired, e);
      }
      if (fsyncMillis == 0) {
        try {
          sync();
        } catch (IOException e) {
          // The record is whole (a reader may have applied it): stop, as for the periodic fsync below, but cut nothing.
          return new Result(i, size, bytes, repaired, e);
        }
      }
    }
    if (fsyncMillis > 0 && clock.getAsLong() - lastSync >= fsyncMillis) {
      try {
        syncIfDirty();
      } catch (IOException e) {
        // The records are in the page cache (a kill -9 keeps them) but not known to be on disk: stop all the
        // same, so whoever watches sees the disk is in trouble. Nothing is cut: they are complete records.
        return new Result(n, size, bytes, repaired, e);
      }
    }
    return new Result(n, size, bytes, repaired, null);
  }

  /**
   * The index after the records from {@code from} on that fit in {@value #BATCH_BYTES} bytes together (at least
   * one: a bigger record goes out on its own). One write call for them saves a system call per record, and
   * bounds the JDK's own direct-buffer copy of the heap array.
   */
  private static int sliceEnd(RecordBatch records, int from) {
    int start = records.start(from);
    int i = from + 1;
    while (i < records.count() && records.end(i) - start <= BATCH_BYTES) {
      i++;
    }
    return i;
  }

  /**
   * After a write of {@code records[from, end)} at {@code before} failed: the index of the first record not
   * wholly in the file, the one that failed. A record the write did complete counts as failed only if it is
   * the slice's last (then the write failed for nothing that remains, and that record goes as if its own write
   * had failed).
   */
  private int completeRecords(RecordBatch records, int from, int end, long before) {
    long landed;
    try {
      landed = file.size() - before;
    } catch (IOException e) {
      return from;
    }
    int start = records.start(from);
    int k = from;
    while (k < end - 1 && records.end(k) - start <= landed) {
      k++;
    }
    return k;
  }

  /**
   * If the file is not the size this writer left it (cut short by someone, or written to), appends what puts it
   * back on a record boundary. One fstat per batch; true if something had to be appended.
   */
  private boolean onBoundary() throws IOException {
    long actual = file.size();
    if (actual == size) {
      return false;
    }
    size = actual;
    confirmedSize = Math.min(confirmedSize, actual);
    durableSize = Math.min(durableSize, actual);
    byte[] pad = RecordTail.toBoundary(file, actual);
    if (pad.length == 0) {
      return false;
    }
    file.append(ByteBuffer.wrap(pad));
    size += pad.length;
    dirty = true;
    return true;
  }

  /**
   * Null if the path still names the file this writer holds (then everything written so far is known to be at
   * the path), else what became of it. Platforms without file keys always say it does.
   */
  public String checkPath() throws IOException {
    Object key = file.fileKey();
    if (key == null) {
      return null;
    }
    Object now = FileKeys.keyIfPresent(path);
    if (now == null) {
      return "it is gone";
    }
    if (now.equals(key)) {
      confirmedSize = size;
      return null;
    }
    return "another file has its name";
  }

  /**
   * What the file said when its path was last seen to name it (its records up to then): where to go on from
   * in a new file at the path. Read from the open file, so it works even once the file is renamed or deleted.
   */
  public RecordTail.Recovery confirmedTail() throws IOException {
    long end = Math.min(confirmedSize, file.size());
    return RecordTail.read(file, end, window, maxTornBytes, meta);
  }

  /** fsync if anything was written since the last one (the periodic fsync of {@code ingest.fsyncMillis}). */
  public void syncIfDirty() throws IOException {
    if (dirty) {
      sync();
    }
  }

  private void sync() throws IOException {
    try {
      file.force();
    } catch (IOException e) {
      syncFailed = true;
      throw e;
    }
    dirty = false;
    lastSync = clock.getAsLong();
    if (!syncFailed) {
      durableSize = size;
    }
  }

  /**
   * After a failed fsync: the records past the last good one are cut before the file is opened again or closed, so
   * the next writer resumes from the last record known to be on disk and the feed sends the rest again (from that
   * id; an empty file resumes as a fresh start does, from stream.backfillMinutes). Kept, they could read back as
   * zeros after a power cut, behind a resume id past them: lost for good. (A reader that applied them starts over,
   * as after any cut.) A cut that fails leaves them.
   */
  private String cutToDurable() {
    if (durableSize >= size) {
      return null;
    }
    String cut = "cut the " + (size - durableSize) + " bytes written after the last fsync that worked (not known to be on disk)";
    try {
      file.truncate(durableSize);
      log.warn("{}: {}", path, cut);
      size = durableSize;
      confirmedSize = Math.min(confirmedSize, durableSize);
      dirty = true; // the cut itself, made durable by the sync on close
      return cut;
    } catch (IOException e) {
      log.warn("{}: could not cut the {} bytes written after the last fsync that worked: {}", path, size - durableSize, e.toString());
      return null;
    }
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
    IOException failed = null;
    try {
      if (sync) {
        failed = settle();
      }
    } finally {
      file.close();
    }
    if (failed != null) {
      throw failed; // the stop says so: what it last wrote may have been cut
    }
  }

  /**
   * Makes what was written durable; if an fsync failed, now or since the last one that worked, cuts the file back to
   * what is known to be on disk instead (see {@link #cutToDurable}). A disk that fails even that keeps the records,
   * as after any failed write: the next open decides from what is in the file. Returns the fsync's failure, or one
   * saying what was cut, or null if the file is durable as written.
   */
  private IOException settle() {
    IOException failed = null;
    try {
      syncIfDirty();
    } catch (IOException e) {
      failed = e;
      log.warn("{}: fsync failed: {}", path, e.toString());
    }
    if (syncFailed) {
      String cut = cutToDurable();
      if (failed == null && cut != null) {
        failed = new IOException(path + ": an earlier fsync failed: " + cut);
      }
      try {
        syncIfDirty();
      } catch (IOException e) {
        log.warn("{}: the cut back to the last good fsync is not durable either: {}", path, e.toString());
      }
    }
    return failed;
  }

  @Override
  public void close() throws IOException {
    close(false);
  }
}
