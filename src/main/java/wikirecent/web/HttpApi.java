package wikirecent.web;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import wikirecent.bus.Views;
import wikirecent.status.Health;
import wikirecent.status.StatusHttp;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The web part's HTTP handlers: REST snapshots, the raw WebSocket stream, health and metrics. */
final class HttpApi {

  private static final Logger log = LoggerFactory.getLogger(HttpApi.class);

  private final FanOut fanOut;
  private final Map<String, ViewReplica> replicas;
  private final PrometheusMeterRegistry registry;
  private final Health health;
  private final ConnectionGuard guard;
  private final int queueBound;
  private final int maxFrameSize;

  HttpApi(FanOut fanOut, Map<String, ViewReplica> replicas, PrometheusMeterRegistry registry, Health health, ConnectionGuard guard,
          int queueBound, int maxFrameSize) {
    this.fanOut = fanOut;
    this.replicas = replicas;
    this.registry = registry;
    this.health = health;
    this.guard = guard;
    this.queueBound = queueBound;
    this.maxFrameSize = maxFrameSize;
  }

  /** The process is up (for a liveness probe); readiness is {@link #handleHealth}. */
  void handleLive(RoutingContext rc) {
    StatusHttp.live(rc);
  }

  void handleViews(RoutingContext rc) {
    JsonArray views = new JsonArray();
    for (Views v : Views.values()) {
      views.add(v.describe());
    }
    json(rc, 200, new JsonObject().put("views", views));
  }

  void handleSnapshot(RoutingContext rc) {
    Optional<Views> view = knownView(rc);
    if (view.isEmpty()) {
      return;
    }
    Encoded snapshot = replicas.get(view.get().viewName()).snapshot();
    if (snapshot == null) {
      rc.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
      json(rc, 503, new JsonObject().put("error", "no snapshot yet").put("view", view.get().viewName()));
      return;
    }
    rc.response()
      .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
      .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
      .end(snapshot.text());
  }

  void handleStream(RoutingContext rc) {
    Optional<Views> view = knownView(rc);
    if (view.isEmpty()) {
      return;
    }
    if (!rc.request().canUpgradeToWebSocket()) {
      rc.response().putHeader(HttpHeaders.UPGRADE, "websocket");
      json(rc, 426, new JsonObject().put("error", "this is a WebSocket; connect with an Upgrade: websocket request")
        .put("view", view.get().viewName()));
      return;
    }
    rc.request().toWebSocket()
      .onFailure(e -> rc.fail(400, e))
      .onSuccess(ws -> {
        Runnable connectionClosed = guard.upgraded(rc.request().connection());
        StreamClient client = new StreamClient(ws, maxFrameSize, queueBound);
        fanOut.add(client);
        ws.closeHandler(v -> {
          fanOut.remove(client);
          connectionClosed.run();
        });
        ws.exceptionHandler(e -> log.debug("{}: {}", client, e.toString()));
        fanOut.subscribe(client, view.get().viewName(), true);
      });
  }

  /** The view named in the path, or empty after answering 404: the name is only looked up, never used as text. */
  private Optional<Views> knownView(RoutingContext rc) {
    String name = rc.pathParam("view");
    Optional<Views> view = Views.byName(name);
    if (view.isEmpty()) {
      json(rc, 404, new JsonObject().put("error", "unknown view").put("view", name));
    }
    return view;
  }

  /** Ready (200) when every part {@link Health} judges is live and every replica of this node is synced; else 503 and why. */
  void handleHealth(RoutingContext rc) {
    List<String> waiting = new ArrayList<>();
    JsonObject views = new JsonObject();
    replicas.forEach((name, r) -> {
      views.put(name, r.synced() ? "synced at " + r.timestamp() : "waiting for a snapshot");
      if (!r.synced()) {
        waiting.add(name);
      }
    });
    String detail = waiting.isEmpty() ? "every replica synced" : "has no snapshot of " + String.join(", ", waiting) + " yet";
    StatusHttp.health(rc, health, List.of(Health.Verdict.local("web", waiting.isEmpty(), detail, new JsonObject().put("replicas", views))));
  }

  void handleMetrics(RoutingContext rc) {
    StatusHttp.metrics(rc, registry);
  }

  private static void json(RoutingContext rc, int status, JsonObject body) {
    rc.response()
      .setStatusCode(status)
      .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
      .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
      .end(body.encode());
  }
}
