package wikirecent.testsupport;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM: this JVM's classes with another main class ({@link #command}), or a jar
 * ({@link #jarCommand}). Its output goes to a log file; with {@code pipeStdout} its stdout lines
 * are read instead (a benchmark's client processes report there). Children still running when
 * this JVM exits are killed.
 */
public final class Child implements AutoCloseable {

  private static final Set<Child> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(c -> c.process.destroyForcibly()), "bench-children-stop"));
  }

  private final String name;
  private final Process process;
  private final Path log;
  private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();

  private Child(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /**
   * {@code java jvmArgs... -cp <this JVM's class path> mainClass args...}, with this JVM's java: the same
   * classes in a new JVM, whether this one runs from a jar or from class directories (tests).
   */
  public static List<String> command(String mainClass, List<String> jvmArgs, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(java());
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(args);
    return cmd;
  }

  /** {@code java jvmArgs... -jar <jar> args...}, with this JVM's java. */
  public static List<String> jarCommand(Path jar, List<String> jvmArgs, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(java());
    cmd.addAll(jvmArgs);
    cmd.add("-jar");
    cmd.add(jar.toAbsolutePath().toString());
    cmd.addAll(args);
    return cmd;
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  /** Starts {@code command} with {@code env} added to this JVM's environment; its output goes to a fresh {@code log}. */
  public static Child start(String name, List<String> command, Map<String, String> env, Path log, boolean pipeStdout) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().putAll(env);
    Files.write(log, new byte[0]); // a fresh log
    return start(name, pb, log, pipeStdout);
  }

  /**
   * Starts what {@code pb} says (command, directory, environment as the caller set them); its output is
   * appended to {@code log} (only stderr with {@code pipeStdout}).
   */
  public static Child start(String name, ProcessBuilder pb, Path log, boolean pipeStdout) throws IOException {
    ProcessBuilder.Redirect toLog = ProcessBuilder.Redirect.appendTo(log.toFile());
    if (pipeStdout) {
      pb.redirectError(toLog);
    } else {
      pb.redirectErrorStream(true).redirectOutput(toLog);
    }
    Child c = new Child(name, pb.start(), log);
    LIVE.add(c);
    if (pipeStdout) {
      Thread reader = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(c.process.getInputStream(), StandardCharsets.UTF_8))) {
          String line;
          while ((line = r.readLine()) != null) {
            c.lines.add(line);
          }
        } catch (IOException e) {
          // the child went away
        }
      }, name + "-stdout");
      reader.setDaemon(true);
      reader.start();
    }
    return c;
  }

  public String name() {
    return name;
  }

  public long pid() {
    return process.pid();
  }

  public boolean alive() {
    return process.isAlive();
  }

  /** Waits up to {@code timeout} for the child to exit; true if it has. */
  public boolean waitFor(Duration timeout) throws InterruptedException {
    boolean exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (exited) {
      LIVE.remove(this);
    }
    return exited;
  }

  /** The exit code; an {@link IllegalThreadStateException} while it runs. */
  public int exitValue() {
    return process.exitValue();
  }

  /** The next stdout line starting with {@code prefix} (other lines are skipped), or an exception after the timeout. */
  public String awaitLine(String prefix, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (true) {
        long left = deadline - System.nanoTime();
        String line = lines.poll(Math.max(1, Math.min(left, 200_000_000L)), TimeUnit.NANOSECONDS);
        if (line != null && line.startsWith(prefix)) {
          return line.substring(prefix.length()).trim();
        }
        if (line == null && !process.isAlive() && lines.isEmpty()) {
          throw new IOException(name + " exited with " + process.exitValue() + " before saying '" + prefix + "'; its log ends:\n" + logTail(20));
        }
        if (System.nanoTime() > deadline) {
          throw new IOException(name + " did not say '" + prefix + "' within " + timeout.toSeconds() + " s; its log ends:\n" + logTail(20));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /** Writes a line to the child's stdin. */
  public void send(String line) throws IOException {
    OutputStream in = process.getOutputStream();
    in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    in.flush();
  }

  public String logTail(int n) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - n), all.size()));
    } catch (IOException | RuntimeException e) {
      return "(no log: " + e + ")";
    }
  }

  public Path log() {
    return log;
  }

  /** SIGTERM (a clean stop: the app's shutdown hooks run), then a kill if it has not exited in time. */
  public void stop(Duration grace) {
    process.destroy();
    try {
      if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    LIVE.remove(this);
  }

  /** SIGTERM without waiting (a clean stop: the app's shutdown hooks run). */
  public void sigterm() {
    process.destroy();
  }

  /** kill -9: no shutdown hook runs; waits (up to 30 s) until it is gone. */
  public void kill() {
    try {
      process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    LIVE.remove(this);
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      stop(Duration.ofSeconds(30));
    }
    LIVE.remove(this);
  }
}
