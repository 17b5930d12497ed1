package wikirecent.testsupport;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A real Prometheus server ({@code /usr/bin/prometheus}) for a test: a config scraping the given
 * targets every second under one job, its storage in a throwaway directory, its HTTP API on a free
 * loopback port.
 */
public final class PrometheusServer implements AutoCloseable {

  public static final Path PATH = Path.of("/usr/bin/prometheus");
  public static final String JOB = "wikirecent";

  private final Child child;
  private final int port;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private PrometheusServer(Child child, int port) {
    this.child = child;
    this.port = port;
  }

  /** Skips (or fails under {@code WIKIRECENT_CI=1}) the calling test when Prometheus is not installed. */
  public static void require() {
    Tools.require(Files.isExecutable(PATH), PATH + " is missing (apt-get install prometheus)");
  }

  /** Starts it in {@code dir} (config, data and log there), scraping {@code targets} ({@code host:port}); waits until it is ready. */
  public static PrometheusServer start(Path dir, List<String> targets) throws IOException {
    Files.createDirectories(dir);
    Path config = dir.resolve("prometheus.yml");
    String list = targets.stream().map(t -> "'" + t + "'").collect(Collectors.joining(", "));
    Files.writeString(config, String.join("\n",
      "global:",
      "  scrape_interval: 1s",
      "  scrape_timeout: 1s",
      "scrape_configs:",
      "  - job_name: " + JOB,
      "    metrics_path: /metrics",
      "    static_configs:",
      "      - targets: [" + list + "]",
      ""));
    int port = Ports.freePort();
    List<String> command = List.of(PATH.toString(),
      "--config.file=" + config,
      "--storage.tsdb.path=" + dir.resolve("data"),
      "--web.listen-address=127.0.0.1:" + port,
      "--log.level=warn");
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
    Path log = dir.resolve("prometheus.log");
    Files.write(log, new byte[0]);
    PrometheusServer server = new PrometheusServer(Child.start("prometheus", pb, log, false), port);
    Wait.until("Prometheus on port " + port + " is ready", Wait.LONG, () -> {
      if (!server.child.alive()) {
        throw new AssertionError("prometheus exited (code " + server.child.exitValue() + "); its log ends:\n" + server.child.logTail(20));
      }
      return server.ready();
    }, () -> "Its log ends:\n" + server.child.logTail(20));
    return server;
  }

  /** The {@code result} array of an instant query through the HTTP API ({@code /api/v1/query}); fails unless it succeeded. */
  public JsonArray query(String promql) throws IOException, InterruptedException {
    HttpResponse<String> r = get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    JsonObject body = new JsonObject(r.body());
    if (r.statusCode() != 200 || !"success".equals(body.getString("status"))) {
      throw new AssertionError("query " + promql + " answered " + r.statusCode() + ": " + r.body());
    }
    return body.getJsonObject("data").getJsonArray("result");
  }

  public String logTail(int lines) {
    return child.logTail(lines);
  }

  private boolean ready() throws InterruptedException {
    try {
      return get("/-/ready").statusCode() == 200;
    } catch (IOException e) {
      return false; // not listening yet
    }
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).GET().build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() {
    child.stop(Duration.ofSeconds(20));
  }
}
