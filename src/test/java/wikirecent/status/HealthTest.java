package wikirecent.status;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.MainVerticle;
import wikirecent.config.Config;
import wikirecent.testsupport.Ports;
import wikirecent.testsupport.Wait;
import wikirecent.web.Http;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code /health} judges the parts of this deployment, with the real parts deployed the way the jar deploys them. */
@ExtendWith(VertxExtension.class)
class HealthTest {

  @TempDir
  Path dir;

  private int deploy(Vertx vertx, String roles, Object... overrides) {
    int port = Ports.freePort();
    JsonObject conf = new JsonObject()
      .put(Config.ROLES, roles)
      .put(Config.HTTP_PORT, port)
      .put(Config.DATA_DIR, dir.resolve("data").toString())
      .put(Config.ENGINE_POLL_MILLIS, 50);
    for (int i = 0; i + 1 < overrides.length; i += 2) {
      conf.put((String) overrides[i], overrides[i + 1]);
    }
    Wait.on(vertx.deployVerticle(new MainVerticle(), new DeploymentOptions().setConfig(Config.load(conf, Map.of()))));
    return port;
  }

  private static JsonObject health(Vertx vertx, int port) {
    return Http.get(vertx, port, "/health").bodyAsJsonObject();
  }

  @Test
  void aViewsAndWebDeploymentWithNoIngestAnywhereIsReadyOnceTheViewsAreLive(Vertx vertx) {
    int port = deploy(vertx, "views,web");
    JsonObject[] last = new JsonObject[1];
    Wait.until("ready", Wait.LONG, () -> Http.get(vertx, port, "/health").statusCode() == 200, () -> String.valueOf(last[0] = health(vertx, port)));
    JsonObject body = health(vertx, port);
    assertThat(body.getString("status")).isEqualTo("ready");
    assertThat(body.getJsonArray("judged")).containsExactly("views", "web");
    assertThat(body.getJsonObject("views").getBoolean("live")).isTrue();
    assertThat(body.getJsonObject("views").getString("detail")).startsWith("live");
    assertThat(body.getJsonObject("ingest").getBoolean("judged")).isFalse();
    assertThat(body.getJsonObject("ingest").getString("detail")).contains("not in this deployment");
  }

  @Test
  void anIngestConfiguredHereButDownKeepsItNotReady(Vertx vertx) {
    String nowhere = "http://127.0.0.1:" + Ports.freePort() + "/v2/stream/recentchange";
    int port = deploy(vertx, "ingest,views,web", Config.STREAM_URL, nowhere, Config.INGEST_BACKOFF_MILLIS, 50);
    Wait.until("views and web live, ingest still not", Wait.LONG, () -> {
      JsonObject b = health(vertx, port);
      return b.getJsonObject("views").getBoolean("live") && b.getJsonObject("web").getBoolean("live");
    }, () -> health(vertx, port).encode());
    HttpResponse<Buffer> r = Http.get(vertx, port, "/health");
    assertThat(r.statusCode()).isEqualTo(503);
    JsonObject body = r.bodyAsJsonObject();
    assertThat(body.getJsonArray("judged")).containsExactly("ingest", "views", "web");
    assertThat(body.getString("reason")).startsWith("ingest ").contains(nowhere).doesNotContain("views", "web");
  }

  @Test
  void aProcessWithoutWebServesHealthAndMetricsOnHttpPort(Vertx vertx) {
    int port = deploy(vertx, "views");
    assertThat(Http.get(vertx, port, "/health/live").statusCode()).isEqualTo(200);
    Wait.until("ready", () -> Http.get(vertx, port, "/health").statusCode() == 200);
    JsonObject body = health(vertx, port);
    assertThat(body.getJsonArray("judged")).containsExactly("views");
    assertThat(body.containsKey("web")).isFalse();
    assertThat(body.getJsonObject("ingest").getBoolean("judged")).isFalse();

    HttpResponse<Buffer> metrics = Http.get(vertx, port, "/metrics");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.getHeader("content-type")).isEqualTo(Metrics.CONTENT_TYPE);
    assertThat(metrics.bodyAsString()).contains("wikirecent_views_up 1.0", "wikirecent_views_events_applied_total 0.0")
      .doesNotContain("wikirecent_web_", "wikirecent_ingest_");
  }

  @Test
  void aProcessWithoutWebJudgesAnIngestThatIsDown(Vertx vertx) {
    int nowhere = Ports.freePort();
    int port = deploy(vertx, "ingest", Config.STREAM_URL, "http://127.0.0.1:" + nowhere + "/", Config.INGEST_BACKOFF_MILLIS, 50);
    // Judged after ingest has failed to connect, not merely before it has tried.
    java.util.regex.Pattern reconnects = java.util.regex.Pattern.compile("(?m)^wikirecent_ingest_reconnects_total ([0-9.]+)$");
    Wait.until("a failed connection and a reconnect", () -> {
      java.util.regex.Matcher m = reconnects.matcher(Http.get(vertx, port, "/metrics").bodyAsString());
      return m.find() && Double.parseDouble(m.group(1)) >= 1;
    });
    HttpResponse<Buffer> r = Http.get(vertx, port, "/health");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.bodyAsJsonObject().getString("reason")).contains("ingest");
    assertThat(r.bodyAsJsonObject().getJsonArray("judged")).containsExactly("ingest");
    assertThat(Http.get(vertx, port, "/metrics").bodyAsString()).contains("wikirecent_ingest_up 0.0", "wikirecent_ingest_connections_total");
  }

  @Test
  void aProcessWithoutWebThatCannotListenSaysWhichKeyToSet(Vertx vertx) {
    NetServer taken = Wait.on(vertx.createNetServer().connectHandler(s -> { }).listen(0, "0.0.0.0"));
    JsonObject conf = Config.load(new JsonObject()
      .put(Config.ROLES, "views")
      .put(Config.HTTP_PORT, taken.actualPort())
      .put(Config.DATA_DIR, dir.resolve("data").toString()), Map.of());
    assertThatThrownBy(() -> Wait.on(vertx.deployVerticle(new MainVerticle(), new DeploymentOptions().setConfig(conf))))
      .hasMessageContaining("status server")
      .hasMessageContaining("http.port " + taken.actualPort())
      .hasMessageContaining("WIKIRECENT_HTTP_PORT");
    // The views part started first; it goes with the failed deployment.
    Wait.until("the views part undeployed", () -> vertx.deploymentIDs().isEmpty());
  }
}
