package wikirecent.records;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/** Run as its own process: prints whether it could lock the file, as a second ingest elsewhere would try to. */
public final class LockProbe {

  public static void main(String[] args) throws Exception {
    try (FileChannel c = FileChannel.open(Path.of(args[0]), StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      FileLock lock = c.tryLock();
      System.out.print(lock == null ? "held" : "free");
    }
  }

  /** "held" when another process holds the file's lock, "free" when this probe got it. */
  public static String probe(Path file) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    String classes = Path.of(LockProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    Process p = new ProcessBuilder(java, "-cp", classes, LockProbe.class.getName(), file.toString())
      .redirectErrorStream(true).start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("the lock probe did not end");
    }
    return new String(p.getInputStream().readAllBytes()).trim();
  }
}
