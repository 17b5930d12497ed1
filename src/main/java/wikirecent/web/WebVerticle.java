package wikirecent.web;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import wikirecent.config.Config;
import wikirecent.status.Health;
import wikirecent.status.Metrics;
import wikirecent.status.StatusHttp;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The web part: one replica per view instance fed by one event-bus consumer per instance on this node
 * ({@link Replicas}), fanned out to browsers (SockJS event-bus bridge, {@code /eventbus}) and raw
 * WebSockets ({@code /api/stream/<view>?...}); REST snapshots, the dashboard, {@code /health} and {@code /metrics}.
 */
public class WebVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(WebVerticle.class);
  /** The SockJS client, served from its WebJar so the page needs no internet. */
  static final String SOCKJS_URL = "/webjars/sockjs-client/1.6.1/dist/sockjs.min.js";
  private static final int MAX_SOCKJS_POST_BYTES = 64 * 1024;
  static final String CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; object-src 'none'; "
    + "base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

  private Replicas replicas;
  private WebMetrics metrics;
  private FanOut fanOut;
  private Health health;
  private HttpServer server;
  private ConnectionGuard guard;
  private BadRequests badRequests;
  private OriginPolicy origins;
  private PageFiles page;
  private PageFiles webjars;
  private int queueBound;
  private long stuckTimer = -1;
  private long pingTimer = -1;
  private SockJsEndpoint sockJsWebSockets;
  private WorkerExecutor builds;

  @Override
  public Future<?> start() {
    Config config = Config.of(config());
    queueBound = config.integer(Config.WEB_CLIENT_QUEUE_BYTES);
    long stuckMillis = config.longValue(Config.WEB_STUCK_CLIENT_MILLIS);
    metrics = new WebMetrics(Metrics.registry(vertx));
    fanOut = new FanOut(queueBound, metrics, key -> replicas.snapshotOf(key), key -> replicas.timestampOf(key),
      task -> context.runOnContext(v -> task.run()));
    replicas = new Replicas(vertx, fanOut, metrics, new Replicas.Settings(
      config.longValue(Config.WEB_REPLICA_LINGER_SECONDS) * 1000, config.integer(Config.WEB_MAX_REPLICAS),
      config.longValue(Config.VIEWS_KEEP_ALIVE_MILLIS), config.longValue(Config.WEB_OPEN_TIMEOUT_MILLIS)),
      builds = vertx.createSharedWorkerExecutor(ViewReplica.BUILDERS, ViewReplica.BUILDER_THREADS));
    fanOut.onLastLeft(replicas::idleCheck);
    metrics.bind(fanOut, replicas);
    guard = new ConnectionGuard(vertx, metrics, config.integer(Config.WEB_MAX_CONNECTIONS),
      config.longValue(Config.WEB_REQUEST_HEAD_TIMEOUT_SECONDS) * 1000, config.longValue(Config.WEB_IDLE_TIMEOUT_SECONDS) * 1000);
    metrics.bind(guard);
    badRequests = new BadRequests(metrics);
    origins = OriginPolicy.of(config.json().getValue(Config.WEB_ALLOWED_ORIGINS), metrics);
    String root = config.string(Config.WEB_ROOT).trim();
    page = root.isEmpty()
      ? PageFiles.fromClasspath(vertx, "/", "webroot", 60)
      : PageFiles.fromDirectory(vertx, "/", Path.of(root), 60);
    webjars = PageFiles.fromClasspath(vertx, "/webjars/", "META-INF/resources/webjars", 86400);
    health = new Health(vertx, config.roles(), config.longValue(Config.WEB_STATUS_TIMEOUT_MILLIS));
    // A stream written nothing for half the idle timeout is pinged: none goes longer without a write than a
    // connection between requests does.
    pingTimer = vertx.setPeriodic(Math.max(100, config.longValue(Config.WEB_IDLE_TIMEOUT_SECONDS) * 500),
      t -> fanOut.clients().forEach(Client::pingIfQuiet));
    stuckTimer = vertx.setPeriodic(Math.max(50, Math.min(1000, stuckMillis / 4)),
      t -> fanOut.closeStuck(System.currentTimeMillis(), stuckMillis));
    List<Future<?>> started = new ArrayList<>();
    started.add(replicas.start());
    started.add(startHttpServer(config.integer(Config.HTTP_PORT)));
    return Future.all(started);
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(stuckTimer);
    vertx.cancelTimer(pingTimer);
    if (sockJsWebSockets != null) {
      sockJsWebSockets.close();
    }
    replicas.stop();
    builds.close();
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

  Replicas replicas() {
    return replicas;
  }

  ConnectionGuard guard() {
    return guard;
  }

  /** The event loop the fan-out lives on: look at it only from there. */
  Context webContext() {
    return context;
  }

  private Future<HttpServer> startHttpServer(int port) {
    // No browser speaks HTTP/2 without TLS; and with h2c on, Vert.x makes a connection (and tells
    // the guard about it) only once its first bytes arrive, so a silent one would go unseen.
    // Browsers offer permessage-deflate and Vert.x accepts it by default: each socket then deflates every frame
    // again with its own zlib state, so the bytes shared by all clients would be compressed once per client.
    HttpServerOptions options = new HttpServerOptions().setPort(port).setHttp2ClearTextEnabled(false)
      .setPerMessageWebSocketCompressionSupported(false).setPerFrameWebSocketCompressionSupported(false);
    return vertx.createHttpServer(options)
      .connectionHandler(guard::connected)
      .invalidRequestHandler(badRequests::invalidRequest)
      .exceptionHandler(badRequests::connectionFailed)
      .requestHandler(router(options.getMaxWebSocketFrameSize()))
      .listen()
      .recover(e -> Future.failedFuture("the web part cannot listen on " + Config.HTTP_PORT + " " + port + ": " + e.getMessage()
        + "; set " + Config.envName(Config.HTTP_PORT) + " to a port this process may listen on"))
      .onSuccess(s -> {
        server = s;
        log.info("Web listening on port {}: dashboard /, /api/views, /api/stream/<view>, /eventbus, /health, /metrics"
          + " (at most {} connections; the page from {})", s.actualPort(), guard.max(), page.source());
      });
  }

  private Router router(int maxFrameSize) {
    Router router = Router.router(vertx);
    // In this order: the connection is busy; every answer says nosniff; the request is one we can read; its page may ask.
    router.route().handler(guard::requestStarted);
    router.route().handler(WebVerticle::noSniff); // on every answer, the refusals below too
    router.route().handler(badRequests::check);
    router.route().handler(origins::handle);
    router.route().failureHandler(badRequests::failed);
    HttpApi api = new HttpApi(replicas, Metrics.registry(vertx), health);
    StatusHttp.read(router, "/health/live").handler(api::handleLive);
    StatusHttp.read(router, "/health").handler(api::handleHealth);
    StatusHttp.read(router, "/metrics").handler(api::handleMetrics);
    ViewsApi views = new ViewsApi(replicas, fanOut, guard, queueBound, maxFrameSize, builds, metrics);
    StatusHttp.read(router, "/api/views").handler(views::handleViews);
    StatusHttp.read(router, "/api/views/:view").handler(views::handleSnapshot);
    router.get("/api/stream/:view").handler(views::handleStream);
    SockJSHandlerOptions sockJs = new SockJSHandlerOptions()
      .setInsertJSESSIONID(false)
      .setLibraryURL(SOCKJS_URL); // the iframe transports load it; the default is a CDN
    // SockJS's XHR fallbacks POST their frames; only those requests need their body read (not the upgrades).
    // No file uploads: BodyHandler.create() would keep any multipart POST's files on disk, for good.
    router.post("/eventbus/*").handler(BodyHandler.create(false).setBodyLimit(MAX_SOCKJS_POST_BYTES));
    sockJsWebSockets = new SockJsEndpoint(vertx, maxFrameSize, SockJsEndpoint.HEARTBEAT_MILLIS,
      (socket, connection) -> bridge(socket, connection));
    router.get("/eventbus/websocket").handler(sockJsWebSockets::handleRaw);
    router.get("/eventbus/:server/:session/websocket").handler(sockJsWebSockets::handle);
    router.route("/eventbus/*").subRouter(SockJSHandler.create(vertx, sockJs)
      .socketHandler(socket -> {
        // Only a WebSocket transport took the connection over; an XHR session is requests the guard times out as any.
        HttpServerRequest request = socket.routingContext().request();
        bridge(BridgeSocket.of(socket), request.path().endsWith("/websocket") ? request.connection() : null);
      }));
    router.route("/webjars/*").handler(webjars::handle);
    router.route("/*").handler(WebVerticle::pageHeaders).handler(page::handle);
    return router;
  }

  private void bridge(BridgeSocket socket, HttpConnection connection) {
    new BridgeClient(socket, fanOut, replicas, metrics, queueBound).start(guard.upgraded(connection));
  }

  /**
   * The page loads only its own files and talks only to its own origin; and if a name ever did
   * reach the DOM as markup, inline handlers such as {@code onerror} would not run.
   */
  private static void pageHeaders(RoutingContext rc) {
    rc.response()
      .putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY)
      .putHeader("Referrer-Policy", "no-referrer");
    rc.next();
  }

  /** Every answer, the JSON errors that echo a requested name too, is what its Content-Type says. */
  private static void noSniff(RoutingContext rc) {
    rc.response().putHeader("X-Content-Type-Options", "nosniff");
    rc.next();
  }

}
