package wikirecent.status;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import wikirecent.config.Config;

import java.util.List;

/**
 * {@code /health/live}, {@code /health} and {@code /metrics} on {@code http.port} for a process without the
 * web role (e.g. {@code ingest,views} on one node of a cluster), so that every process is scraped for its own
 * meters and can be probed. A process with the web role serves these from the web part instead.
 */
public class StatusServer extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(StatusServer.class);

  private HttpServer server;

  @Override
  public Future<?> start() {
    Config config = Config.of(config());
    Health health = new Health(vertx, config.roles(), config.longValue(Config.WEB_STATUS_TIMEOUT_MILLIS));
    int port = config.integer(Config.HTTP_PORT);
    Router router = Router.router(vertx);
    StatusHttp.read(router, "/health/live").handler(StatusHttp::live);
    StatusHttp.read(router, "/health").handler(rc -> StatusHttp.health(rc, health, List.of()));
    StatusHttp.read(router, "/metrics").handler(rc -> StatusHttp.metrics(rc, Metrics.registry(vertx)));
    return vertx.createHttpServer()
      .requestHandler(router)
      .listen(port)
      .recover(e -> Future.failedFuture("the status server (/health, /metrics of a process without the web role) cannot listen on "
        + Config.HTTP_PORT + " " + port + ": " + e.getMessage() + "; give each process on this host its own "
        + Config.envName(Config.HTTP_PORT)))
      .onSuccess(s -> {
        server = s;
        log.info("Status listening on port {}: /health/live, /health, /metrics (roles {}, no web)", s.actualPort(), config.roles());
      });
  }

  /** The port it listens on (the real one when {@code http.port} is 0). */
  public int port() {
    return server.actualPort();
  }
}
