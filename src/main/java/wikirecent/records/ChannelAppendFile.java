package wikirecent.records;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;

/**
 * The real file: a {@link FileChannel} in append mode (O_APPEND, so each write lands at the end), holding an
 * advisory lock so a second ingest cannot interleave its records with ours, and a second channel for reading
 * it back (append mode cannot read). Readers elsewhere do not take the lock.
 */
public final class ChannelAppendFile implements AppendFile {

  /**
   * Keys of the files this process holds the lock of. The lock is a POSIX record lock, held by the process: closing
   * any channel of the file drops it, so a second open in this process is refused before it opens a channel.
   */
  private static final Set<Object> LOCKED = new HashSet<>();

  private final Path path;
  private final FileChannel channel;
  private final FileChannel reader;
  private final FileLock lock;
  private final Object fileKey;
  private boolean closed;

  private ChannelAppendFile(Path path, FileChannel channel, FileChannel reader, FileLock lock, Object fileKey) {
    this.path = path;
    this.channel = channel;
    this.reader = reader;
    this.lock = lock;
    this.fileKey = fileKey;
  }

  public static AppendFile open(Path path) throws IOException {
    synchronized (LOCKED) {
      ChannelAppendFile file = openAndLock(path);
      if (file.fileKey != null) {
        LOCKED.add(file.fileKey);
      }
      return file;
    }
  }

  private static ChannelAppendFile openAndLock(Path path) throws IOException {
    Path dir = path.toAbsolutePath().getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    boolean created = !Files.exists(path);
    FileKeys.Opened<Channels> opened = FileKeys.open(path, () -> {
      // Asked before each open, retries too: closing a channel of a file this process locked would drop its lock.
      Object held = FileKeys.keyIfPresent(path);
      if (held != null && LOCKED.contains(held)) {
        throw new IOException(path + " is locked: an ingest of this process is writing it");
      }
      return Channels.open(path);
    });
    FileChannel channel = opened.opened().writer;
    FileChannel reader = opened.opened().reader;
    Object key = opened.key();
    try {
      if (created && dir != null) {
        syncDirectory(dir);
      }
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        throw new IOException(path + " is locked: another ingest is writing it");
      }
      return new ChannelAppendFile(path, channel, reader, lock, key);
    } catch (IOException | RuntimeException e) {
      FileKeys.closeQuietly(opened.opened(), e);
      throw e;
    }
  }

  /** The file's two channels, opened back to back: one for appends, one to read it back. */
  private record Channels(FileChannel writer, FileChannel reader) implements java.io.Closeable {
    static Channels open(Path path) throws IOException {
      FileChannel writer = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
      try {
        return new Channels(writer, FileChannel.open(path, StandardOpenOption.READ));
      } catch (IOException | RuntimeException e) {
        FileKeys.closeQuietly(writer, e);
        throw e;
      }
    }

    @Override
    public void close() throws IOException {
      try {
        reader.close();
      } finally {
        writer.close();
      }
    }
  }

  /** Makes a new file's directory entry durable, so a power cut cannot lose the whole file. Best effort. */
  private static void syncDirectory(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // not every platform can open a directory; the file's own fsyncs still apply
    }
  }

  @Override
  public long size() throws IOException {
    return channel.size();
  }

  @Override
  public void append(ByteBuffer record) throws IOException {
    int length = record.remaining();
    int written = channel.write(record);
    if (written != length) {
      throw new IOException("short write to " + path + ": " + written + " of " + length + " bytes");
    }
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    return reader.read(dst, position);
  }

  @Override
  public void truncate(long size) throws IOException {
    channel.truncate(size);
  }

  @Override
  public void force() throws IOException {
    channel.force(false);
  }

  @Override
  public Object fileKey() {
    return fileKey;
  }

  @Override
  public void close() throws IOException {
    synchronized (LOCKED) {
      if (closed) {
        return; // its key may be another open's by now
      }
      closed = true;
      try {
        if (lock.isValid()) {
          lock.release();
        }
      } finally {
        try {
          reader.close();
        } finally {
          try {
            channel.close();
          } finally {
            LOCKED.remove(fileKey); // even when closing failed: the key is no longer this process's to refuse
          }
        }
      }
    }
  }
}
