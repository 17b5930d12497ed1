package wikirecent.web;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import wikirecent.status.Health;
import wikirecent.status.StatusHttp;

import java.util.ArrayList;
import java.util.List;

/** The web part's status handlers: liveness, health and metrics (the views' are {@link ViewsApi}). */
final class HttpApi {

  private final Replicas replicas;
  private final PrometheusMeterRegistry registry;
  private final Health health;

  HttpApi(Replicas replicas, PrometheusMeterRegistry registry, Health health) {
    this.replicas = replicas;
    this.registry = registry;
    this.health = health;
  }

  /** The process is up (for a liveness probe); readiness is {@link #handleHealth}. */
  void handleLive(RoutingContext rc) {
    StatusHttp.live(rc);
  }

  /**
   * Ready (200) when every part {@link Health} judges is live and every replica this node always holds is
   * synced; else 503 and why. Replicas clients opened come and go: they are not judged.
   */
  void handleHealth(RoutingContext rc) {
    List<String> waiting = new ArrayList<>();
    JsonObject views = new JsonObject();
    replicas.permanent().forEach((name, r) -> {
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
}
