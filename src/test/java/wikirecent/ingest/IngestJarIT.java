package wikirecent.ingest;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.replay.Sample;
import wikirecent.testsupport.JarProcess;
import wikirecent.testsupport.Wait;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The built jar, run as a user would: {@code java -jar target/wikirecent.jar replay} in one process, the app
 * with {@code WIKIRECENT_STREAM_URL} pointing at it in another. Needs {@code mvn package} first (failsafe runs
 * after it).
 */
class IngestJarIT {

  private static final Pattern URL = Pattern.compile("at (http://127\\.0\\.0\\.1:\\d+/v2/stream/recentchange)");
  private static final List<String> JVM = List.of("-Xmx512m");

  @TempDir
  Path dir;

  private final List<JarProcess> processes = new ArrayList<>();

  @AfterEach
  void stopProcesses() {
    processes.forEach(JarProcess::close);
  }

  /** The jar in {@code dir}, its output in {@code <name>.log} there. */
  private JarProcess run(String name, Map<String, String> env, String... args) throws Exception {
    JarProcess p = JarProcess.start(name, dir, dir, env, JVM, args);
    processes.add(p);
    return p;
  }

  @Test
  void replayHelpPrintsUsage() throws Exception {
    JarProcess p = run("help", Map.of(), "replay", "--help");
    assertThat(p.exitCode(Duration.ofSeconds(60))).isZero();
    assertThat(p.output()).contains("Usage: java -jar wikirecent.jar replay").contains("--cut-every N").contains("--rate N");
  }

  @Test
  void theAppRecordsEveryEventOfTheSampleServedByTheReplayCommand() throws Exception {
    String url = startReplay("--cut-every", "1000");

    JarProcess app = run("app", Map.of(
      "WIKIRECENT_STREAM_URL", url,
      "WIKIRECENT_ROLES", "ingest",
      "WIKIRECENT_HTTP_PORT", "0", // its status server (/health, /metrics)
      "WIKIRECENT_DATA_DIR", dir.resolve("data").toString()));
    Path file = dir.resolve("data").resolve("recentchanges");
    List<String> sample = Sample.lines();
    Wait.until("all " + sample.size() + " events in " + file, Duration.ofSeconds(120), () -> {
      assertThat(app.alive()).as("the app is running; its log:\n%s", app.output()).isTrue();
      return FileRecords.countRecords(file) >= sample.size();
    });
    app.terminate(Duration.ofSeconds(30)); // SIGTERM: the launcher undeploys, ingest flushes and closes the file

    IngestTesting.assertFileHolds(file, sample);
    assertThat(app.output()).contains("Connected to " + url).contains("Stream cut after 1000 events").contains("resumed from id");
  }

  private String startReplay(String... options) throws Exception {
    List<String> args = new ArrayList<>(List.of("replay", "--port", "0"));
    args.addAll(List.of(options));
    JarProcess replay = run("replay", Map.of(), args.toArray(String[]::new));
    return replay.awaitLog(URL, Duration.ofSeconds(60)).group(1);
  }

  @Test
  void anAppKilledWithSigkillResumesWithoutLosingOrRepeatingAnEvent() throws Exception {
    String url = startReplay("--rate", "1000");
    Map<String, String> env = Map.of("WIKIRECENT_STREAM_URL", url, "WIKIRECENT_ROLES", "ingest", "WIKIRECENT_HTTP_PORT", "0",
      "WIKIRECENT_DATA_DIR", dir.resolve("data").toString());
    Path file = dir.resolve("data").resolve("recentchanges");
    List<String> sample = Sample.lines();

    JarProcess first = run("app1", env);
    Wait.until("1000 events", Duration.ofSeconds(120), () -> FileRecords.countRecords(file) >= 1000);
    first.kill(); // kill -9: no shutdown hook, no flush
    assertThat(first.alive()).isFalse();
    long before = FileRecords.countRecords(file);
    assertThat(before).isLessThan(sample.size());

    JarProcess second = run("app2", env);
    Wait.until("all " + sample.size() + " events", Duration.ofSeconds(120), () -> FileRecords.countRecords(file) >= sample.size());
    second.terminate(Duration.ofSeconds(30));

    IngestTesting.assertFileHolds(file, sample);
    assertThat(second.output()).contains("resuming from id [{\"topic\":\"replay\"");
  }
}
