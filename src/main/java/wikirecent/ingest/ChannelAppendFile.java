package wikirecent.ingest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The real file: a {@link FileChannel} in append mode (O_APPEND, so each write lands at the end), holding an
 * advisory lock so a second ingest cannot interleave its records with ours. Readers do not take the lock.
 */
final class ChannelAppendFile implements AppendFile {

  private final Path path;
  private final FileChannel channel;
  private final FileLock lock;

  private ChannelAppendFile(Path path, FileChannel channel, FileLock lock) {
    this.path = path;
    this.channel = channel;
    this.lock = lock;
  }

  static AppendFile open(Path path) throws IOException {
    Path dir = path.toAbsolutePath().getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    boolean created = !Files.exists(path);
    FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    if (created && dir != null) {
      syncDirectory(dir);
    }
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    } catch (IOException e) {
      channel.close();
      throw e;
    }
    if (lock == null) {
      channel.close();
      throw new IOException(path + " is locked: another ingest is writing it");
    }
    return new ChannelAppendFile(path, channel, lock);
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
  public void truncate(long size) throws IOException {
    channel.truncate(size);
  }

  @Override
  public void force() throws IOException {
    channel.force(false);
  }

  @Override
  public void close() throws IOException {
    try {
      if (lock.isValid()) {
        lock.release();
      }
    } finally {
      channel.close();
    }
  }
}
