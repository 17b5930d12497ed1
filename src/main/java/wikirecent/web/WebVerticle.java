package wikirecent.web;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import wikirecent.common.Config;
import wikirecent.common.Views;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The web part: one replica per view fed by one event-bus consumer per view on this node, fanned
 * out to browsers (SockJS event-bus bridge, {@code /eventbus}) and raw WebSockets
 * ({@code /api/stream/<view>}); REST snapshots, the dashboard, {@code /health} and {@code /metrics}.
 */
public class WebVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(WebVerticle.class);
  /** The SockJS client, served from its WebJar so the page needs no internet. */
  static final String SOCKJS_URL = "/webjars/sockjs-client/1.6.1/dist/sockjs.min.js";
  static final String CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; object-src 'none'; "
    + "base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

  private final Map<String, ViewReplica> replicas = new LinkedHashMap<>();
  private WebMetrics metrics;
  private FanOut fanOut;
  private PartStatus status;
  private HttpServer server;
  private int queueBound;
  private long stuckTimer = -1;

  @Override
  public Future<?> start() {
    Config config = Config.of(config());
    queueBound = config.integer(Config.WEB_CLIENT_QUEUE_BYTES);
    long stuckMillis = config.longValue(Config.WEB_STUCK_CLIENT_MILLIS);
    metrics = new WebMetrics();
    fanOut = new FanOut(queueBound, metrics, this::snapshotOf);
    for (Views v : Views.values()) {
      replicas.put(v.viewName(), new ViewReplica(vertx, v.viewName(), fanOut, metrics));
    }
    metrics.bind(fanOut, replicas);
    status = new PartStatus(vertx, config.longValue(Config.WEB_STATUS_TIMEOUT_MILLIS));
    stuckTimer = vertx.setPeriodic(Math.max(50, Math.min(1000, stuckMillis / 4)),
      t -> fanOut.closeStuck(System.currentTimeMillis(), stuckMillis));
    List<Future<?>> started = new ArrayList<>();
    replicas.values().forEach(r -> started.add(r.start()));
    started.add(startHttpServer(config.integer(Config.HTTP_PORT)));
    return Future.all(started);
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(stuckTimer);
    replicas.values().forEach(ViewReplica::stop);
    metrics.close();
    return Future.succeededFuture();
  }

  /** The port the server listens on (the real one when {@code http.port} is 0). */
  public int port() {
    return server.actualPort();
  }

  FanOut fanOut() {
    return fanOut;
  }

  /** The event loop the fan-out lives on: look at it only from there. */
  Context webContext() {
    return context;
  }

  private Encoded snapshotOf(String view) {
    ViewReplica r = replicas.get(view);
    return r == null ? null : r.snapshot();
  }

  private Future<HttpServer> startHttpServer(int port) {
    HttpServerOptions options = new HttpServerOptions().setPort(port);
    return vertx.createHttpServer(options)
      .requestHandler(router(options.getMaxWebSocketFrameSize()))
      .listen()
      .onSuccess(s -> {
        server = s;
        log.info("Web listening on port {}: dashboard /, /api/views, /api/stream/<view>, /eventbus, /health, /metrics", s.actualPort());
      });
  }

  private Router router(int maxFrameSize) {
    Router router = Router.router(vertx);
    router.get("/health/live").handler(rc -> json(rc, 200, new JsonObject().put("status", "alive")));
    router.get("/health").handler(this::handleHealth);
    router.get("/metrics").handler(this::handleMetrics);
    router.get("/api/views").handler(this::handleViews);
    router.get("/api/views/:view").handler(this::handleSnapshot);
    router.get("/api/stream/:view").handler(rc -> handleStream(rc, maxFrameSize));
    SockJSHandlerOptions sockJs = new SockJSHandlerOptions()
      .setInsertJSESSIONID(false)
      .setLibraryURL(SOCKJS_URL); // the iframe transports load it; the default is a CDN
    router.route("/eventbus/*").subRouter(SockJSHandler.create(vertx, sockJs)
      .socketHandler(socket -> new BridgeClient(socket, fanOut, this::snapshotOf, metrics, queueBound).start()));
    router.route("/webjars/*").handler(StaticHandler.create("META-INF/resources/webjars").setMaxAgeSeconds(86400));
    router.route("/*").handler(WebVerticle::pageHeaders).handler(StaticHandler.create("webroot").setMaxAgeSeconds(60));
    return router;
  }

  /**
   * The page loads only its own files and talks only to its own origin; and if a name ever did
   * reach the DOM as markup, inline handlers such as {@code onerror} would not run.
   */
  private static void pageHeaders(RoutingContext rc) {
    rc.response()
      .putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY)
      .putHeader("X-Content-Type-Options", "nosniff")
      .putHeader("Referrer-Policy", "no-referrer");
    rc.next();
  }

  private void handleViews(RoutingContext rc) {
    JsonArray views = new JsonArray();
    for (Views v : Views.values()) {
      views.add(v.describe());
    }
    json(rc, 200, new JsonObject().put("views", views));
  }

  private void handleSnapshot(RoutingContext rc) {
    Optional<Views> view = knownView(rc);
    if (view.isEmpty()) {
      return;
    }
    Encoded snapshot = snapshotOf(view.get().viewName());
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

  private void handleStream(RoutingContext rc, int maxFrameSize) {
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
      .onFailure(rc::fail)
      .onSuccess(ws -> {
        StreamClient client = new StreamClient(ws, maxFrameSize, queueBound);
        fanOut.add(client);
        ws.closeHandler(v -> fanOut.remove(client));
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

  /** Ready (200) only when ingest and the view source say they are live and every replica is synced; else 503 and why. */
  private void handleHealth(RoutingContext rc) {
    status.all().onSuccess(parts -> {
      JsonObject details = new JsonObject();
      List<String> notLive = new ArrayList<>();
      parts.forEach((part, s) -> {
        details.put(part, new JsonObject().put("live", s.getBoolean("live")).put("detail", s.getString("detail")));
        if (!s.getBoolean("live")) {
          notLive.add(part + " " + s.getString("detail"));
        }
      });
      List<String> waiting = new ArrayList<>();
      JsonObject views = new JsonObject();
      replicas.forEach((name, r) -> {
        views.put(name, r.synced() ? "synced at " + r.timestamp() : "waiting for a snapshot");
        if (!r.synced()) {
          waiting.add(name);
        }
      });
      details.put("web", new JsonObject().put("live", waiting.isEmpty()).put("replicas", views));
      if (!waiting.isEmpty()) {
        notLive.add("web has no snapshot of " + String.join(", ", waiting) + " yet");
      }
      boolean ready = notLive.isEmpty();
      JsonObject body = new JsonObject().put("status", ready ? "ready" : "not ready");
      if (!ready) {
        body.put("reason", String.join("; ", notLive));
      }
      json(rc, ready ? 200 : 503, body.mergeIn(details));
    });
  }

  private void handleMetrics(RoutingContext rc) {
    status.all().onSuccess(parts -> rc.response()
      .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
      .end(metrics.scrape() + PartStatus.prometheus(parts)));
  }

  private static void json(RoutingContext rc, int status, JsonObject body) {
    rc.response()
      .setStatusCode(status)
      .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
      .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
      .end(body.encode());
  }
}
