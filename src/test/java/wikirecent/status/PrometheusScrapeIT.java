package wikirecent.status;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.replay.Sample;
import wikirecent.testsupport.JarProcess;
import wikirecent.testsupport.PrometheusServer;
import wikirecent.testsupport.Promtool;
import wikirecent.testsupport.Samples;
import wikirecent.testsupport.Wait;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The built jar's {@code /metrics} as Prometheus sees it: two processes fed by the replay command, one with
 * every role (the web part serves /metrics) and one {@code ingest,views} (its status server does). promtool
 * has nothing to say about any {@code wikirecent_*} series, and a real Prometheus scrapes both processes and
 * answers queries with their values, one series per process.
 */
class PrometheusScrapeIT {

  private static final Pattern REPLAY_URL = Pattern.compile("at (http://127\\.0\\.0\\.1:\\d+/v2/stream/recentchange)");
  private static final Pattern STATUS_PORT = Pattern.compile("Status listening on port (\\d+)");
  private static final Duration PATIENCE = Duration.ofSeconds(120);

  @TempDir
  Path dir;

  private final List<JarProcess> processes = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void stopProcesses() {
    processes.forEach(JarProcess::close);
  }

  private JarProcess run(String name, Map<String, String> env, String... args) throws IOException {
    JarProcess p = JarProcess.start(name, dir, dir.resolve(name), env, JarProcess.SMALL_JVM, args);
    processes.add(p);
    return p;
  }

  private JarProcess app(String name, String roles, String url) throws IOException {
    Map<String, String> env = new HashMap<>();
    env.put("WIKIRECENT_ROLES", roles);
    env.put("WIKIRECENT_STREAM_URL", url);
    env.put("WIKIRECENT_HTTP_PORT", "0");
    env.put("WIKIRECENT_DATA_DIR", dir.resolve(name).resolve("data").toString());
    return run(name, env);
  }

  private String metrics(int port) throws IOException, InterruptedException {
    HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).timeout(Duration.ofSeconds(10)).build();
    HttpResponse<String> r = http.send(get, HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return r.body();
  }

  @Test
  void promtoolHasNothingToSayAndPrometheusScrapesEveryProcess() throws Exception {
    Promtool.require();
    PrometheusServer.require();
    long events = Sample.lines().size();

    String url = run("replay", Map.of(), "replay", "--port", "0").awaitLog(REPLAY_URL, Duration.ofSeconds(60)).group(1);
    JarProcess all = app("all", "ingest,views,web", url);
    JarProcess noWeb = app("noweb", "ingest,views", url);
    int allPort = all.awaitHttpPort();
    int noWebPort = Integer.parseInt(noWeb.awaitLog(STATUS_PORT, Duration.ofSeconds(90)).group(1));
    for (int port : new int[]{allPort, noWebPort}) {
      Wait.until("every event written and applied on " + port, PATIENCE, () -> {
        Samples s = Samples.of(metrics(port));
        return s.count("wikirecent_ingest_events_written_total") == events && s.count("wikirecent_views_events_applied_total") == events;
      });
    }

    String allText = metrics(allPort);
    String noWebText = metrics(noWebPort);
    for (String text : List.of(allText, noWebText)) {
      assertThat(Promtool.complaints(text)).as("promtool check metrics on wikirecent_*")
        .filteredOn(line -> line.contains("wikirecent_")).isEmpty();
    }
    assertThat(allText).contains("wikirecent_web_clients{", "wikirecent_ingest_up 1.0", "wikirecent_views_up 1.0", "jvm_memory_used_bytes");
    assertThat(noWebText).contains("wikirecent_ingest_up 1.0", "wikirecent_views_up 1.0").doesNotContain("wikirecent_web_");

    String a = "127.0.0.1:" + allPort;
    String b = "127.0.0.1:" + noWebPort;
    try (PrometheusServer prometheus = PrometheusServer.start(dir.resolve("prometheus"), List.of(a, b))) {
      Map<String, Double> written = new HashMap<>();
      Wait.until("Prometheus has scraped both processes", PATIENCE, () -> {
        written.clear();
        written.putAll(byInstance(prometheus.query("wikirecent_ingest_events_written_total")));
        return written.size() == 2;
      }, () -> "Prometheus log ends:\n" + prometheus.logTail(20));
      assertThat(written).containsEntry(a, (double) events).containsEntry(b, (double) events);
      assertThat(byInstance(prometheus.query("wikirecent_views_events_applied_total")))
        .containsEntry(a, (double) events).containsEntry(b, (double) events);
      assertThat(byInstance(prometheus.query("up{job=\"" + PrometheusServer.JOB + "\"}")))
        .containsEntry(a, 1.0).containsEntry(b, 1.0);
      assertThat(byInstance(prometheus.query("sum by (instance) (wikirecent_web_clients)")))
        .as("only the process with the web role has web meters").containsOnlyKeys(a);
      assertThat(byInstance(prometheus.query("sum by (instance) (wikirecent_ingest_events_skipped_total)")))
        .as("the sample is clean: nothing skipped, for any reason").containsEntry(a, 0.0).containsEntry(b, 0.0);
    }
  }

  /** An instant query's samples by the instance that exposed them. */
  private static Map<String, Double> byInstance(JsonArray result) {
    Map<String, Double> out = new HashMap<>();
    for (Object o : result) {
      JsonObject series = (JsonObject) o;
      out.put(series.getJsonObject("metric").getString("instance"), Double.parseDouble(series.getJsonArray("value").getString(1)));
    }
    return out;
  }
}
