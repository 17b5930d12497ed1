package wikirecent.ingest;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The built jar, run as a user would: {@code java -jar target/wikirecent.jar replay} in one process, the app
 * with {@code WIKIRECENT_STREAM_URL} pointing at it in another. Needs {@code mvn package} first (failsafe runs
 * after it).
 */
class IngestJarIT {

  private static final Path JAR = Path.of("target", "wikirecent.jar");
  private static final Pattern URL = Pattern.compile("at (http://127\\.0\\.0\\.1:\\d+/v2/stream/recentchange)");

  @TempDir
  Path dir;

  private final List<Process> processes = new ArrayList<>();

  @AfterEach
  void stopProcesses() throws Exception {
    for (Process p : processes) {
      p.destroy();
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  private Process run(Path log, Map<String, String> env, String... args) throws Exception {
    assertThat(JAR).as("run mvn package first: " + JAR.toAbsolutePath()).exists();
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-Xmx512m");
    command.add("-jar");
    command.add(JAR.toAbsolutePath().toString());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("WIKIRECENT_"));
    pb.environment().putAll(env);
    Process p = pb.start();
    processes.add(p);
    return p;
  }

  @Test
  void replayHelpPrintsUsage() throws Exception {
    Path log = dir.resolve("help.log");
    Process p = run(log, Map.of(), "replay", "--help");
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    assertThat(Files.readString(log)).contains("Usage: java -jar wikirecent.jar replay").contains("--cut-every N").contains("--rate N");
  }

  @Test
  void theAppRecordsEveryEventOfTheSampleServedByTheReplayCommand() throws Exception {
    String url = startReplay("--cut-every", "1000");

    Path appLog = dir.resolve("app.log");
    Process app = run(appLog, Map.of(
      "WIKIRECENT_STREAM_URL", url,
      "WIKIRECENT_ROLES", "ingest",
      "WIKIRECENT_DATA_DIR", dir.resolve("data").toString()));
    Path file = dir.resolve("data").resolve("recentchanges");
    List<String> sample = FileRecords.sampleLines();
    IngestTesting.await("all " + sample.size() + " events in " + file, Duration.ofSeconds(120), () -> {
      assertThat(app.isAlive()).as("the app is running; its log:\n%s", Files.readString(appLog)).isTrue();
      return FileRecords.countRecords(file) >= sample.size();
    });
    app.destroy(); // SIGTERM: the launcher undeploys, ingest flushes and closes the file
    assertThat(app.waitFor(30, TimeUnit.SECONDS)).isTrue();

    IngestTesting.assertFileHolds(file, sample);
    String log = Files.readString(appLog);
    assertThat(log).contains("Connected to " + url).contains("Stream cut after 1000 events").contains("resumed from id");
  }

  private String startReplay(String... options) throws Exception {
    Path replayLog = dir.resolve("replay.log");
    List<String> args = new ArrayList<>(List.of("replay", "--port", "0"));
    args.addAll(List.of(options));
    run(replayLog, Map.of(), args.toArray(String[]::new));
    String[] url = new String[1];
    IngestTesting.await("the replay server's URL in its log", Duration.ofSeconds(60), () -> {
      Matcher m = URL.matcher(Files.readString(replayLog, StandardCharsets.UTF_8));
      if (m.find()) {
        url[0] = m.group(1);
      }
      return url[0] != null;
    });
    return url[0];
  }

  @Test
  void anAppKilledWithSigkillResumesWithoutLosingOrRepeatingAnEvent() throws Exception {
    String url = startReplay("--rate", "1000");
    Map<String, String> env = Map.of("WIKIRECENT_STREAM_URL", url, "WIKIRECENT_ROLES", "ingest",
      "WIKIRECENT_DATA_DIR", dir.resolve("data").toString());
    Path file = dir.resolve("data").resolve("recentchanges");
    List<String> sample = FileRecords.sampleLines();

    Process first = run(dir.resolve("app1.log"), env);
    IngestTesting.await("1000 events", Duration.ofSeconds(120), () -> FileRecords.countRecords(file) >= 1000);
    first.destroyForcibly(); // kill -9: no shutdown hook, no flush
    assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
    long before = FileRecords.countRecords(file);
    assertThat(before).isLessThan(sample.size());

    Process second = run(dir.resolve("app2.log"), env);
    IngestTesting.await("all " + sample.size() + " events", Duration.ofSeconds(120), () -> FileRecords.countRecords(file) >= sample.size());
    second.destroy();
    assertThat(second.waitFor(30, TimeUnit.SECONDS)).isTrue();

    IngestTesting.assertFileHolds(file, sample);
    assertThat(Files.readString(dir.resolve("app2.log"))).contains("resuming from id [{\"topic\":\"replay\"");
  }
}
