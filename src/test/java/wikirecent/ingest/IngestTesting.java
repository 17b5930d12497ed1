package wikirecent.ingest;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.json.JsonObject;
import wikirecent.bus.Addresses;
import wikirecent.config.Config;
import wikirecent.records.AppendFile;
import wikirecent.testsupport.Samples;
import wikirecent.testsupport.Wait;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** Deploying ingest against a test server, and checking the file it writes. */
final class IngestTesting {

  /** sql/views.sql's source regex: {@code FORMAT REGEX '^data: (?P<data>.*)'}; Rust's "." stops only at \n, hence UNIX_LINES. */
  static final Pattern VIEWS_SQL_REGEX = Pattern.compile("^data: (?<data>.*)", Pattern.UNIX_LINES);

  static final String AGENT = "wikirecent-test/1.0 (ingest tests; test@wikirecent.invalid)";

  /** How long ingest tests wait for a condition: a whole sample through the replay server, on a loaded box. */
  static final Duration PATIENCE = Duration.ofSeconds(90);

  private IngestTesting() {
  }

  /** Config for a test: fast back-off, fsync off (tmpfs-like speed), the given overrides last. */
  static JsonObject config(String url, Path dataDir, Object... overrides) {
    JsonObject o = new JsonObject()
      .put(Config.STREAM_URL, url)
      .put(Config.STREAM_USER_AGENT, AGENT)
      .put(Config.DATA_DIR, dataDir.toString())
      .put(Config.INGEST_BACKOFF_MILLIS, 20)
      .put(Config.INGEST_BACKOFF_MAX_MILLIS, 500)
      .put(Config.INGEST_THROTTLE_BACKOFF_MILLIS, 100)
      .put(Config.INGEST_FSYNC_MILLIS, -1);
    for (int i = 0; i + 1 < overrides.length; i += 2) {
      o.put((String) overrides[i], overrides[i + 1]);
    }
    return Config.load(o, Map.of());
  }

  static String deploy(Vertx vertx, JsonObject conf) {
    return Wait.on(vertx.deployVerticle(new IngestVerticle(), new DeploymentOptions().setConfig(conf)));
  }

  static String deploy(Vertx vertx, JsonObject conf, AppendFile.Opener opener, HttpClientOptions clientOptions) {
    return Wait.on(vertx.deployVerticle(new IngestVerticle(opener, clientOptions), new DeploymentOptions().setConfig(conf)));
  }

  static JsonObject status(Vertx vertx) {
    return Wait.on(vertx.eventBus().<JsonObject>request(Addresses.STATUS_INGEST, null)).body();
  }

  /** One of ingest's unlabelled meters (e.g. {@code wikirecent_ingest_events_written_total}), as /metrics shows it. */
  static long counter(Vertx vertx, String name) {
    return Samples.of(vertx).count(name);
  }

  /** {@code wikirecent_ingest_events_skipped_total} for one reason. */
  static long skipped(Vertx vertx, String reason) {
    return Math.round(Samples.of(vertx).value("wikirecent_ingest_events_skipped_total", "reason=\"" + reason + "\""));
  }

  static void awaitRecords(Path file, long n) {
    Wait.until(n + " records in " + file, PATIENCE, () -> FileRecords.countRecords(file) >= n);
  }

  /**
   * The file holds exactly these events' data, in this order, each once, as well-formed records; and sql/views.sql's
   * regex, applied line by line, picks exactly these data.
   */
  static void assertFileHolds(Path file, List<String> expectedData) throws Exception {
    assertThat(FileRecords.data(file)).containsExactlyElementsOf(expectedData);
    List<String> picked = new ArrayList<>();
    for (String line : Files.readString(file).split("\n", -1)) {
      Matcher m = VIEWS_SQL_REGEX.matcher(line);
      if (m.find()) {
        picked.add(m.group("data"));
      }
    }
    assertThat(picked).containsExactlyElementsOf(expectedData);
  }

  /** The id the replay server gives event {@code offset}. */
  static String replayId(long offset) {
    return "[{\"topic\":\"replay\",\"partition\":0,\"offset\":" + offset + "}]";
  }
}
