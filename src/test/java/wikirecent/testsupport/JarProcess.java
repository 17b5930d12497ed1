package wikirecent.testsupport;

import wikirecent.testsupport.Child;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The built jar run as a user runs it, {@code java -jar target/wikirecent.jar args...}, in its own JVM (a
 * {@link Child}: output in a log file, killed when the test JVM exits). Needs {@code mvn package} first
 * (failsafe runs after it).
 */
public final class JarProcess implements AutoCloseable {

  public static final Path JAR = Path.of("target", "wikirecent.jar");

  /** Small and quick to start, for when several of these share two cores with the test. */
  public static final List<String> SMALL_JVM = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

  private static final Pattern HTTP_PORT = Pattern.compile("Web listening on port (\\d+)");

  private final Child child;

  private JarProcess(Child child) {
    this.child = child;
  }

  /**
   * Starts the jar in {@code dir} (created), its output appended to {@code <logDir>/<name>.log}, with exactly
   * the given {@code WIKIRECENT_*} variables (none inherited from this JVM).
   */
  public static JarProcess start(String name, Path logDir, Path dir, Map<String, String> env, List<String> jvmArgs,
                                 String... args) throws IOException {
    assertThat(JAR).as("run mvn package first: " + JAR.toAbsolutePath()).exists();
    Files.createDirectories(logDir);
    Files.createDirectories(dir);
    ProcessBuilder pb = new ProcessBuilder(Child.jarCommand(JAR, jvmArgs, List.of(args))).directory(dir.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("WIKIRECENT_"));
    pb.environment().putAll(env);
    Path log = logDir.resolve(name + ".log");
    Files.writeString(log, "### " + name + ": " + String.join(" ", args) + " " + env + "\n",
      StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    return new JarProcess(Child.start(name, pb, log, false));
  }

  public String name() {
    return child.name();
  }

  public Path log() {
    return child.log();
  }

  /** Everything it has printed so far. */
  public String output() {
    try {
      return Files.readString(child.log(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(cannot read " + child.log() + ": " + e + ")";
    }
  }

  /** The last lines of its output, for a failure report. */
  public String tail(int lines) {
    return child.logTail(lines);
  }

  /** The first match of {@code pattern} in the output, waited for; fails at once if the process exits first. */
  public Matcher awaitLog(Pattern pattern, Duration timeout) {
    Matcher[] found = new Matcher[1];
    Wait.until(name() + " logs /" + pattern + "/", timeout, () -> {
      Matcher m = pattern.matcher(output());
      if (m.find()) {
        found[0] = m;
        return true;
      }
      if (!child.alive()) {
        throw new AssertionError(name() + " exited (code " + child.exitValue() + ") before logging /" + pattern + "/; its log ends:\n" + tail(20));
      }
      return false;
    }, () -> "Its log ends:\n" + tail(20));
    return found[0];
  }

  /** The HTTP port the web part says it got. */
  public int awaitHttpPort() {
    return Integer.parseInt(awaitLog(HTTP_PORT, Duration.ofSeconds(90)).group(1));
  }

  /** Waits for the "Joined cluster ... with N members" line; returns the Hazelcast port this node got. */
  public int awaitJoined(int members) {
    Pattern joined = Pattern.compile("Joined cluster '[^']+' as member \\[[^]]+]:(\\d+) .* with " + members + " members?");
    return Integer.parseInt(awaitLog(joined, Duration.ofSeconds(90)).group(1));
  }

  public boolean alive() {
    return child.alive();
  }

  /** Waits for it to exit by itself (asserting it does within {@code timeout}); returns its exit code. */
  public int exitCode(Duration timeout) throws InterruptedException {
    assertThat(child.waitFor(timeout)).as(name() + " exits within " + timeout.toSeconds() + " s").isTrue();
    return child.exitValue();
  }

  /** SIGTERM, as a user stops it (the launcher undeploys, shutdown hooks run); asserts it exits within {@code timeout}. */
  public int terminate(Duration timeout) throws InterruptedException {
    child.sigterm();
    return exitCode(timeout);
  }

  /** kill -9: no shutdown hook, no goodbye to anyone. */
  public void kill() {
    child.kill();
  }

  /** SIGTERM, then kill -9 if it is still there after 30 s: the clean-up after a test. */
  public void stop() {
    child.stop(Duration.ofSeconds(30));
  }

  @Override
  public void close() {
    child.close();
  }

  @Override
  public String toString() {
    return name();
  }
}
