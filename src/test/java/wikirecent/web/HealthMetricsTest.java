package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import wikirecent.bus.Addresses;
import wikirecent.bus.IngestStatus;
import wikirecent.bus.ViewsStatus;
import wikirecent.config.Config;
import wikirecent.testsupport.Samples;
import wikirecent.testsupport.StreamWatcher;
import wikirecent.testsupport.Wait;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
class HealthMetricsTest {

  private static final Pattern SAMPLE = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*(\\{[^}]*\\})? [-+0-9.eEInfNa]+");

  private static void answer(Vertx vertx, String address, JsonObject status) {
    Wait.on(vertx.eventBus().consumer(address, m -> m.reply(status)).completion());
  }

  private static JsonObject roles(String roles) {
    return new JsonObject().put(Config.ROLES, roles);
  }

  @Test
  void healthSaysWhichPartIsNotRunning(Vertx vertx) {
    WebNode web = Wait.on(WebNode.start(vertx, roles("ingest,views,web")));
    HttpResponse<Buffer> r = Http.get(vertx, web.port(), "/health");
    assertThat(r.statusCode()).isEqualTo(503);
    JsonObject body = r.bodyAsJsonObject();
    assertThat(body.getString("status")).isEqualTo("not ready");
    assertThat(body.getJsonArray("judged")).containsExactly("ingest", "views", "web");
    assertThat(body.getJsonObject("ingest")).isEqualTo(new JsonObject().put("live", false).put("detail", "not running"));
    assertThat(body.getJsonObject("views")).isEqualTo(new JsonObject().put("live", false).put("detail", "not running"));
    assertThat(body.getJsonObject("web").getBoolean("live")).isFalse();
    assertThat(body.getString("reason")).contains("ingest not running", "views not running", "web has no snapshot of counter, user_edits, top10");

    assertThat(Http.get(vertx, web.port(), "/health/live").statusCode()).isEqualTo(200);
  }

  @Test
  void healthIsReadyWhenBothPartsAreLiveAndTheReplicasSynced(Vertx vertx) {
    answer(vertx, Addresses.STATUS_INGEST, new JsonObject().put("part", "ingest").put("live", true).put("detail", "streaming"));
    answer(vertx, Addresses.STATUS_VIEWS, new JsonObject().put("part", "views").put("live", true).put("detail", "at offset 42"));
    WebNode web = Wait.on(WebNode.start(vertx, roles("ingest,views,web")));
    assertThat(Http.get(vertx, web.port(), "/health").bodyAsJsonObject().getString("reason")).contains("web has no snapshot");

    Wait.on(vertx.deployVerticle(new ScriptedViewSource(true)));
    Wait.until("ready", () -> Http.get(vertx, web.port(), "/health").statusCode() == 200);
    JsonObject body = Http.get(vertx, web.port(), "/health").bodyAsJsonObject();
    assertThat(body.getString("status")).isEqualTo("ready");
    assertThat(body.getJsonObject("ingest").getString("detail")).isEqualTo("streaming");
    assertThat(body.getJsonObject("views").getString("detail")).isEqualTo("at offset 42");
    assertThat(body.containsKey("reason")).isFalse();
  }

  @Test
  void aPartThatIsNotLiveOrDoesNotAnswerIsNamed(Vertx vertx) {
    answer(vertx, Addresses.STATUS_INGEST, new IngestStatus(false, "reconnecting to the stream after HTTP 429", "").toJson());
    Wait.on(vertx.eventBus().consumer(Addresses.STATUS_VIEWS, m -> { /* never answers */ }).completion());
    WebNode web = Wait.on(WebNode.start(vertx, roles("web").put(Config.WEB_STATUS_TIMEOUT_MILLIS, 300)));
    Wait.on(vertx.deployVerticle(new ScriptedViewSource(true)));
    Wait.until("synced", () -> Http.get(vertx, web.port(), "/api/views/counter").statusCode() == 200);

    HttpResponse<Buffer> r = Http.get(vertx, web.port(), "/health");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.bodyAsJsonObject().getString("reason"))
      .as("a web-only node judges the parts that answer from elsewhere, and views, which it needs")
      .isEqualTo("ingest reconnecting to the stream after HTTP 429; views no answer within 300 ms");
    assertThat(r.bodyAsJsonObject().getJsonArray("judged")).containsExactly("ingest", "views", "web");
  }

  @Test
  void anAnswerThatIsNotAStatusMakesThePartNotLive(Vertx vertx) {
    answer(vertx, Addresses.STATUS_VIEWS, new JsonObject().put("live", true).put("detail", "no part named"));
    WebNode web = Wait.on(WebNode.start(vertx, roles("views,web")));
    Wait.on(vertx.deployVerticle(new ScriptedViewSource(true)));
    Wait.until("synced", () -> Http.get(vertx, web.port(), "/api/views/counter").statusCode() == 200);
    HttpResponse<Buffer> r = Http.get(vertx, web.port(), "/health");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.bodyAsJsonObject().getString("reason")).startsWith("views answered something that is not a status: ");
  }

  @Test
  void aPartNotInThisDeploymentIsNotJudged(Vertx vertx) {
    answer(vertx, Addresses.STATUS_VIEWS, new ViewsStatus(true, "materialize", "fed by another writer").toJson());
    WebNode web = Wait.on(WebNode.start(vertx, roles("views,web")));
    Wait.on(vertx.deployVerticle(new ScriptedViewSource(true)));
    Wait.until("ready", () -> Http.get(vertx, web.port(), "/health").statusCode() == 200);
    JsonObject body = Http.get(vertx, web.port(), "/health").bodyAsJsonObject();
    assertThat(body.getJsonArray("judged")).containsExactly("views", "web");
    assertThat(body.getJsonObject("ingest").getBoolean("judged")).isFalse();
    assertThat(body.getJsonObject("ingest").getString("detail")).contains("not in this deployment", Addresses.STATUS_INGEST);
    assertThat(body.getJsonObject("ingest").containsKey("live")).isFalse();
  }

  /** HEAD (a monitor's probe) gets what GET gets without the body, where it used to fall through to the page's 404. */
  @Test
  void headIsAnsweredAsGetWithoutTheBody(Vertx vertx) throws Exception {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, roles("web")));
    Wait.on(source.edit("Alice"));
    Wait.until("synced", () -> Http.get(vertx, web.port(), "/api/views/top10").statusCode() == 200);
    HttpClient client = HttpClient.newHttpClient();
    for (String path : new String[] {"/health/live", "/health", "/api/views", "/api/views/top10", "/api/views/nope"}) {
      HttpResponse<Buffer> get = Http.get(vertx, web.port(), path);
      java.net.http.HttpResponse<byte[]> head = client.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + web.port() + path))
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
      assertThat(head.statusCode()).as(path).isEqualTo(get.statusCode());
      assertThat(head.headers().firstValue("content-type")).as(path).contains(get.getHeader("content-type"));
      assertThat(head.body()).as(path).isEmpty();
    }
    java.net.http.HttpResponse<byte[]> metrics = client.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + web.port() + "/metrics"))
      .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
    assertThat(metrics.statusCode()).isEqualTo(200); // its length changes with every scrape
    assertThat(metrics.body()).isEmpty();
  }

  @Test
  void metricsAreTheMetersOfThisProcess(Vertx vertx) {
    // A part elsewhere in the cluster answers its status, but its numbers are its own process's /metrics.
    answer(vertx, Addresses.STATUS_INGEST, new IngestStatus(true, "streaming", "").toJson());
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, roles("web")));
    Wait.until("synced", () -> Http.get(vertx, web.port(), "/api/views/top10").statusCode() == 200);
    StreamWatcher watcher = StreamWatcher.connect(vertx, web.port(), "top10");
    Wait.on(source.edit("Alice"));
    Wait.until("the batch", () -> watcher.count() == 2);

    HttpResponse<Buffer> r = Http.get(vertx, web.port(), "/metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.getHeader("content-type")).startsWith("text/plain");
    String text = r.bodyAsString();
    assertThat(text).contains(
      "wikirecent_web_clients{transport=\"websocket\"} 1.0",
      "wikirecent_web_clients{transport=\"sockjs\"} 0.0",
      "wikirecent_web_frames_sent_total{transport=\"websocket\"} 2.0",
      "wikirecent_web_frames_dropped_total{transport=\"websocket\"} 0.0",
      "wikirecent_web_batches_received_total{view=\"top10\"} 1.0",
      "wikirecent_web_lag_seconds_count 3",
      "wikirecent_web_lag_seconds_bucket{le=",
      "wikirecent_web_replica_synced{view=\"top10\"} 1.0");
    assertThat(Samples.of(text).value("wikirecent_web_replica_timestamp_seconds", "view=\"top10\""))
      .isEqualTo(Wait.on(vertx.eventBus().<JsonObject>request(Addresses.snapshot("top10"), null)).body().getLong("timestamp") / 1000.0);
    assertThat(text).as("no ingest runs in this process").doesNotContain("wikirecent_ingest_");
    for (String line : text.split("\n")) {
      if (!line.isEmpty() && !line.startsWith("#")) {
        assertThat(line).as("a Prometheus sample line").matches(SAMPLE);
      }
    }
    watcher.close();
  }
}
