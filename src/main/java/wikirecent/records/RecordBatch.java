package wikirecent.records;

import java.util.Arrays;

/**
 * Records one after another in one array, as {@link RecordWriter} appends them. Built in place and used again
 * batch after batch: ingest makes no array per record (writing each into fresh memory cost more than the copy).
 * Not thread-safe; handed whole from the thread that fills it to the one that writes it.
 */
public final class RecordBatch {

  /** Past this a cleared batch lets its array go: one burst should not pin it. */
  private static final int KEEP_BYTES = 16 << 20;

  private byte[] bytes = new byte[64 * 1024];
  private int[] ends = new int[64];
  private int size;
  private int count;

  /** Adds the record of {@code id} and {@code data[off, off+len)} (see {@link RecordFormat#put}); returns its length. */
  public int add(String id, byte[] data, int off, int len) {
    int length = RecordFormat.length(id, len);
    room(length);
    size = RecordFormat.put(id, data, off, len, bytes, size);
    ends[count++] = size;
    return length;
  }

  /** Adds a record already made. */
  public void add(byte[] record) {
    room(record.length);
    System.arraycopy(record, 0, bytes, size, record.length);
    size += record.length;
    ends[count++] = size;
  }

  private void room(int length) {
    if (size + length > bytes.length) {
      bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + length));
    }
    if (count == ends.length) {
      ends = Arrays.copyOf(ends, count * 2);
    }
  }

  public int count() {
    return count;
  }

  /** Bytes of all the records. */
  public int size() {
    return size;
  }

  public boolean isEmpty() {
    return count == 0;
  }

  /** Where record {@code i} starts in {@link #bytes()}. */
  public int start(int i) {
    return i == 0 ? 0 : ends[i - 1];
  }

  /** Where record {@code i} ends in {@link #bytes()}. */
  public int end(int i) {
    return ends[i];
  }

  /** The records, in {@code [0, size())}; valid until the next change. */
  public byte[] bytes() {
    return bytes;
  }

  public void clear() {
    size = 0;
    count = 0;
    if (bytes.length > KEEP_BYTES) {
      bytes = new byte[64 * 1024];
      ends = new int[64];
    }
  }
}
