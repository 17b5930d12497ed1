package wikirecent.records;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Which file an open got. Java cannot ask an open channel for its file's key, only a path; a rename over the path
 * between the open and that question (logrotate's) would pair the channel with the next file's key, and every later
 * "is the path still my file?" would say yes while the writes went to the moved one, or the reads came from it.
 */
public final class FileKeys {

  /** What was opened and the key of the file the path named before and after it: the one opened. */
  public record Opened<T extends Closeable>(T opened, Object key) {
  }

  /** An open that may fail. */
  @FunctionalInterface
  public interface Open<T extends Closeable> {
    T open() throws IOException;
  }

  private static final int ATTEMPTS = 5;

  private FileKeys() {
  }

  /**
   * Opens {@code path} with {@code open}, again until the path names the same file before and after (a file the open
   * created is opened once more, then known before).
   */
  public static <T extends Closeable> Opened<T> open(Path path, Open<T> open) throws IOException {
    for (int attempt = 1; ; attempt++) {
      Object before = keyIfPresent(path);
      T opened = open.open();
      Object after;
      boolean keyless;
      try {
        after = keyIfPresent(path);
        keyless = before == null && after == null && keyless(path);
      } catch (IOException | RuntimeException e) {
        closeQuietly(opened, e);
        throw e;
      }
      if (before != null && before.equals(after)) {
        return new Opened<>(opened, after);
      }
      if (keyless) {
        return new Opened<>(opened, null); // a file system without keys: nothing to compare, here or later
      }
      if (attempt == ATTEMPTS) {
        IOException e = new IOException(path + " was replaced every time it was opened (" + ATTEMPTS + " times)");
        closeQuietly(opened, e);
        throw e;
      }
      opened.close();
    }
  }

  /** Whether the path's file system has no file keys: its directory has none either (a missing file has none too). */
  private static boolean keyless(Path path) throws IOException {
    Path dir = path.toAbsolutePath().getParent();
    return dir != null && Files.readAttributes(dir, BasicFileAttributes.class).fileKey() == null;
  }

  /** The key of the file the path names, or null if none. */
  public static Object keyIfPresent(Path path) throws IOException {
    try {
      return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /** Closes {@code c} on the way out of a failure, its own failure kept with {@code cause}. */
  static void closeQuietly(Closeable c, Exception cause) {
    try {
      c.close();
    } catch (IOException e) {
      cause.addSuppressed(e);
    }
  }
}
