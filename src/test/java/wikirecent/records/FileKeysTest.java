package wikirecent.records;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FileKeysTest {

  @TempDir
  Path dir;

  private static String read(FileChannel c) throws Exception {
    ByteBuffer b = ByteBuffer.allocate(16);
    c.read(b, 0);
    return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
  }

  private static Object key(Path p) throws Exception {
    return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
  }

  /**
   * logrotate renames the file and creates another right after the open: the key given is the file the channel reads,
   * so a later check of the path sees that it no longer names it.
   */
  @Test
  void aRenameOverThePathDuringTheOpenIsNotTakenForTheFileOpened() throws Exception {
    Path file = dir.resolve("recentchanges");
    Files.writeString(file, "old");
    AtomicInteger opens = new AtomicInteger();
    FileKeys.Opened<FileChannel> opened = FileKeys.open(file, () -> {
      FileChannel c = FileChannel.open(file, StandardOpenOption.READ);
      if (opens.incrementAndGet() == 1) {
        Files.move(file, dir.resolve("recentchanges.1"));
        Files.writeString(file, "new");
      }
      return c;
    });
    try (FileChannel c = opened.opened()) {
      assertThat(read(c)).isEqualTo("new");
      assertThat(opened.key()).isEqualTo(key(file)).isNotEqualTo(key(dir.resolve("recentchanges.1")));
      assertThat(opens).hasValue(2);
    }
  }

  /** A file the open created is opened once more, once it is known to be at the path. */
  @Test
  void aFileTheOpenCreatedIsOpenedAgain() throws Exception {
    Path file = dir.resolve("recentchanges");
    AtomicInteger opens = new AtomicInteger();
    FileKeys.Opened<FileChannel> opened = FileKeys.open(file, () -> {
      opens.incrementAndGet();
      return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    });
    try (FileChannel c = opened.opened()) {
      assertThat(opened.key()).isEqualTo(key(file));
      assertThat(opens).hasValue(2);
    }
  }

  /** A path replaced at every open is refused after a few tries, every channel closed. */
  @Test
  void aPathReplacedAtEveryOpenIsRefused() throws Exception {
    Path file = dir.resolve("recentchanges");
    Files.writeString(file, "0");
    AtomicInteger opens = new AtomicInteger();
    java.util.List<FileChannel> channels = new java.util.ArrayList<>();
    assertThatThrownBy(() -> FileKeys.open(file, () -> {
      FileChannel c = FileChannel.open(file, StandardOpenOption.READ);
      channels.add(c);
      Files.delete(file);
      Files.writeString(file, String.valueOf(opens.incrementAndGet()));
      return c;
    })).hasMessageContaining("was replaced every time it was opened");
    assertThat(channels).hasSize(5).noneMatch(FileChannel::isOpen);
  }
}
