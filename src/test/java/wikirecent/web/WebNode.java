package wikirecent.web;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.ThreadingModel;
import wikirecent.config.Config;
import wikirecent.engine.EngineVerticle;
import wikirecent.ingest.IngestVerticle;
import wikirecent.testsupport.Wait;

import java.time.Duration;
import java.util.Map;

/**
 * A running {@link WebVerticle} for tests: deployed on an ephemeral port (or a given one, to
 * come back on the same port after a restart), with the port it really got. Works the same
 * whatever feeds the event bus (the scripted source here, the real pipeline end to end).
 */
public final class WebNode {

  private final Vertx vertx;
  private final WebVerticle verticle;
  private final String deploymentId;
  private final JsonObject config;

  private WebNode(Vertx vertx, WebVerticle verticle, String deploymentId, JsonObject config) {
    this.vertx = vertx;
    this.verticle = verticle;
    this.deploymentId = deploymentId;
    this.config = config;
  }

  /** Deploys a web node on an ephemeral port; {@code overrides} may be null. */
  public static Future<WebNode> start(Vertx vertx, JsonObject overrides) {
    return startOnPort(vertx, 0, overrides);
  }

  /**
   * The whole pipeline in this Vert.x on {@code settings} (the defaults for the rest): the engine (a worker), a web
   * node on an ephemeral port, then ingest, which starts following {@code settings}' stream URL.
   */
  public static WebNode startPipeline(Vertx vertx, JsonObject settings) {
    JsonObject config = Config.load(settings.copy(), Map.of());
    Wait.on(vertx.deployVerticle(new EngineVerticle(), new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)
      .setConfig(config)), Duration.ofSeconds(60));
    WebNode web = Wait.on(start(vertx, settings.copy().put(Config.HTTP_PORT, 0)));
    Wait.on(vertx.deployVerticle(new IngestVerticle(), new DeploymentOptions().setConfig(config)));
    return web;
  }

  public static Future<WebNode> startOnPort(Vertx vertx, int port, JsonObject overrides) {
    JsonObject conf = Config.load(new JsonObject().put(Config.HTTP_PORT, port).mergeIn(overrides == null ? new JsonObject() : overrides), Map.of());
    WebVerticle verticle = new WebVerticle();
    return vertx.deployVerticle(verticle, new DeploymentOptions().setConfig(conf))
      .map(id -> new WebNode(vertx, verticle, id, conf));
  }

  public int port() {
    return verticle.port();
  }

  public String url(String path) {
    return "http://localhost:" + port() + path;
  }

  FanOut fanOut() {
    return verticle.fanOut();
  }

  /** Runs {@code f} on the web verticle's event loop (where the fan-out's state lives) and waits for it. */
  <T> T inspect(java.util.function.Function<FanOut, T> f) {
    io.vertx.core.Promise<T> p = io.vertx.core.Promise.promise();
    verticle.webContext().runOnContext(v -> p.complete(f.apply(verticle.fanOut())));
    return Wait.on(p.future());
  }

  /** The connections the web node counts as open (streams included), read on its event loop. */
  int openConnections() {
    io.vertx.core.Promise<Integer> p = io.vertx.core.Promise.promise();
    verticle.webContext().runOnContext(v -> p.complete(verticle.guard().openCount()));
    return Wait.on(p.future());
  }

  /** The replicas of the view's instances this node holds, read on its event loop. */
  int heldReplicas(String view) {
    io.vertx.core.Promise<Integer> p = io.vertx.core.Promise.promise();
    verticle.webContext().runOnContext(v -> p.complete(verticle.replicas().held(view)));
    return Wait.on(p.future());
  }

  /** Runs {@code r} on the web verticle's event loop without waiting (e.g. to keep it busy). */
  void runOnWebContext(Runnable r) {
    verticle.webContext().runOnContext(v -> r.run());
  }

  public JsonObject config() {
    return config;
  }

  public Future<Void> stop() {
    return vertx.undeploy(deploymentId);
  }
}
