package wikirecent.cluster;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One wikirecent JVM started from the built jar ({@code java -jar target/wikirecent.jar ...}), its
 * output in a file under {@code target/}. Every node started is also killed by a JVM shutdown hook,
 * so none outlives the test run even if the test JVM is interrupted.
 */
final class Node {

  static final Path JAR = Path.of("target", "wikirecent.jar");
  private static final Pattern HTTP_PORT = Pattern.compile("Web listening on port (\\d+)");
  private static final Pattern JOINED = Pattern.compile("Joined cluster '[^']+' as member \\[[^]]+]:(\\d+) .* with (\\d+) members?");
  private static final List<Process> ALL = new CopyOnWriteArrayList<>();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> ALL.forEach(Process::destroyForcibly)));
  }

  final String name;
  final Path log;
  private final Process process;

  private Node(String name, Path log, Process process) {
    this.name = name;
    this.log = log;
    this.process = process;
  }

  /** Starts {@code java -jar target/wikirecent.jar args...} in {@code dir} with exactly the given WIKIRECENT_* variables. */
  static Node start(String name, Path logDir, Path dir, Map<String, String> env, String... args) throws IOException {
    assertThat(JAR).as("run mvn package first: " + JAR.toAbsolutePath()).exists();
    Files.createDirectories(logDir);
    Files.createDirectories(dir);
    List<String> command = new ArrayList<>(List.of(
      ProcessHandle.current().info().command().orElse("java"),
      // small and quick to start: several of these share two cores with the test
      "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
      "-jar", JAR.toAbsolutePath().toString()));
    command.addAll(List.of(args));
    Path log = logDir.resolve(name + ".log");
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
      .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().keySet().removeIf(k -> k.startsWith("WIKIRECENT_"));
    pb.environment().putAll(env);
    Files.writeString(log, "### " + name + ": " + String.join(" ", args) + " " + env + "\n",
      java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    Process p = pb.start();
    ALL.add(p);
    return new Node(name, log, p);
  }

  /** Distinct free ports on loopback (held together while choosing, so they differ). */
  static int[] freePorts(int n) throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        sockets.add(s);
        ports[i] = s.getLocalPort();
      }
      return ports;
    } finally {
      for (ServerSocket s : sockets) {
        s.close();
      }
    }
  }

  String output() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e + ")";
    }
  }

  /** The first match of {@code pattern} in the output, waited for; fails early if the process exits. */
  Matcher awaitLog(Pattern pattern, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Matcher m = pattern.matcher(output());
      if (m.find()) {
        return m;
      }
      if (!process.isAlive()) {
        throw new AssertionError(name + " exited (code " + process.exitValue() + ") before logging /" + pattern + "/");
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(name + " did not log /" + pattern + "/ within " + timeout.toSeconds() + " s");
      }
      sleep(50);
    }
  }

  /** Waits for the "Joined cluster" line; returns the Hazelcast port this node got. */
  int awaitJoined(int members) {
    Pattern p = Pattern.compile(JOINED.pattern().replace("(\\d+) members?", members + " members?"));
    return Integer.parseInt(awaitLog(p, Duration.ofSeconds(90)).group(1));
  }

  int awaitHttpPort() {
    return Integer.parseInt(awaitLog(HTTP_PORT, Duration.ofSeconds(90)).group(1));
  }

  boolean alive() {
    return process.isAlive();
  }

  /** SIGTERM: the launcher undeploys and leaves the cluster. */
  void stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    ALL.remove(process);
  }

  /** kill -9: no shutdown hook, no goodbye to the cluster. */
  void kill() throws InterruptedException {
    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    ALL.remove(process);
  }

  int exitCode(Duration timeout) throws InterruptedException {
    assertThat(process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)).as(name + " exits").isTrue();
    ALL.remove(process);
    return process.exitValue();
  }

  /** The last lines of the output, for a failure report. */
  String tail(int lines) {
    List<String> all = output().lines().toList();
    return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted");
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
