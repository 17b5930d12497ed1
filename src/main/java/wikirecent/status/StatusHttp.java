package wikirecent.status;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.List;

/** {@code /health/live}, {@code /health} and {@code /metrics}, the same on a web node and on the status server. */
public final class StatusHttp {

  private StatusHttp() {
  }

  /** A route for GET and HEAD (the same answer without its body): a monitor that probes with HEAD gets the status. */
  public static Route read(Router router, String path) {
    return router.route(path).method(HttpMethod.GET).method(HttpMethod.HEAD);
  }

  /** The process is up (a liveness probe); readiness is {@link #health}. */
  public static void live(RoutingContext rc) {
    json(rc, 200, new JsonObject().put("status", "alive"));
  }

  /** 200 when every part judged is live, else 503; the body says which parts were judged and why not. */
  public static void health(RoutingContext rc, Health health, List<Health.Verdict> local) {
    health.report(local).onSuccess(r -> json(rc, r.ready() ? 200 : 503, r.body()));
  }

  /** Every meter of this process (the parts', Vert.x's and the JVM's when enabled), in the Prometheus text format. */
  public static void metrics(RoutingContext rc, PrometheusMeterRegistry registry) {
    rc.response()
      .putHeader(HttpHeaders.CONTENT_TYPE, Metrics.CONTENT_TYPE)
      .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
      .end(registry.scrape());
  }

  private static void json(RoutingContext rc, int status, JsonObject body) {
    rc.response()
      .setStatusCode(status)
      .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
      .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
      .end(body.encode());
  }
}
