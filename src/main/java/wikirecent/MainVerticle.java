package wikirecent;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.Lock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import wikirecent.bus.Addresses;
import wikirecent.config.Config;
import wikirecent.engine.EngineVerticle;
import wikirecent.ingest.IngestVerticle;
import wikirecent.status.StatusServer;
import wikirecent.tail.TailVerticle;
import wikirecent.web.WebVerticle;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Deploys the parts named by {@code roles}: the view source first, so it sees the first append. A process
 * without the web role also gets the {@link StatusServer}, so that every process serves its own
 * {@code /health} and {@code /metrics}.
 */
public class MainVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(MainVerticle.class);
  private static final List<String> ORDER = List.of("views", "web", "ingest");
  private static final long OTHER_SOURCE_TIMEOUT_MILLIS = 3_000;
  /** The cluster-wide lock a view source holds while it runs (Hazelcast frees it when its member goes). */
  static final String SOURCE_LOCK = "wikirecent.views.source";
  /** Longer than Hazelcast takes to drop a member that stopped answering (cluster.xml: 20 s). */
  private static final long SOURCE_LOCK_WAIT_MILLIS = 30_000;

  private final long sourceLockWaitMillis;
  private Lock sourceLock;

  public MainVerticle() {
    this(SOURCE_LOCK_WAIT_MILLIS);
  }

  /** @param sourceLockWaitMillis how long a second view source waits for the first's lock (tests shorten it) */
  MainVerticle(long sourceLockWaitMillis) {
    this.sourceLockWaitMillis = sourceLockWaitMillis;
  }

  @Override
  public Future<?> start() {
    JsonObject conf;
    Config config;
    Set<String> roles;
    try {
      conf = Config.load(config(), System.getenv());
      config = Config.of(conf);
      roles = config.roles();
    } catch (IllegalArgumentException e) {
      return refusal(e);
    }
    for (String unknown : config.unknownVariables(System.getenv())) {
      log.warn("{} names no configuration key and is ignored (the variables are the keys of conf/config.json as"
        + " WIKIRECENT_ and the key in capitals, dots and capitals becoming underscores)", unknown);
    }
    log.info("Starting roles {} (source={}, data.dir={})", roles, config.string(Config.SOURCE), config.string(Config.DATA_DIR));
    List<String> started = new ArrayList<>();
    Future<?> chain = roles.contains("views") ? onlyViewSourceInTheCluster() : Future.succeededFuture();
    for (String role : ORDER) {
      if (roles.contains(role)) {
        chain = chain.compose(x -> deploy(role, conf).onSuccess(started::add));
      }
    }
    if (!roles.contains("web")) {
      chain = chain.compose(x -> vertx.deployVerticle(new StatusServer(), new DeploymentOptions().setConfig(conf)));
    }
    // A failed start frees the lock only once the parts it started are gone: the next source must not meet this one's.
    return chain.recover(e -> Future.all(started.stream().map(id -> vertx.undeploy(id).otherwiseEmpty()).toList())
      .eventually(() -> {
        releaseSourceLock();
        return Future.succeededFuture();
      })
      .transform(x -> refusal(e)));
  }

  /**
   * A refused value (a plain IllegalArgumentException naming the key and its variable) as that one line, which a stack
   * trace would bury; anything else in full.
   */
  private static <T> Future<T> refusal(Throwable e) {
    return e.getClass() == IllegalArgumentException.class && e.getMessage() != null
      ? Future.failedFuture(e.getMessage()) : Future.failedFuture(e);
  }

  @Override
  public Future<?> stop() {
    releaseSourceLock();
    return Future.succeededFuture();
  }

  private void releaseSourceLock() {
    if (sourceLock != null) {
      sourceLock.release();
      sourceLock = null;
    }
  }

  /**
   * Two view sources in one cluster would both publish on views.* and answer snapshots in turn, and
   * every web replica would keep resetting: refuse to start a second one. One that answers its status
   * is refused at once, saying what it said; then the source takes the cluster's view-source lock, so
   * two started together (neither answering yet) or one whose running source is too busy to answer
   * cannot both go on. A source that died without leaving holds the lock until Hazelcast drops its
   * member, which its replacement waits out.
   */
  private Future<Void> onlyViewSourceInTheCluster() {
    if (!vertx.isClustered()) {
      return Future.succeededFuture();
    }
    DeliveryOptions ask = new DeliveryOptions().setSendTimeout(OTHER_SOURCE_TIMEOUT_MILLIS);
    return vertx.eventBus().request(Addresses.STATUS_VIEWS, null, ask).transform(ar -> {
      boolean answered = ar.succeeded()
        || ar.cause() instanceof ReplyException && ((ReplyException) ar.cause()).failureType() == ReplyFailure.RECIPIENT_FAILURE;
      if (!answered) {
        return Future.<Void>succeededFuture(); // nobody there (or nobody alive)
      }
      Object status = ar.succeeded() ? ar.result().body() : ar.cause().getMessage();
      String detail = status instanceof JsonObject ? ((JsonObject) status).getString("detail", "") : String.valueOf(status);
      return Future.<Void>failedFuture("another view source already runs in this cluster (it says: " + detail
        + "); run the views role on one node of a cluster");
    }).compose(x -> vertx.sharedData().getLockWithTimeout(SOURCE_LOCK, sourceLockWaitMillis).transform(ar -> {
      if (ar.failed()) {
        return Future.failedFuture("another view source holds this cluster's view-source lock (waited "
          + sourceLockWaitMillis / 1000.0 + " s for it: " + ar.cause().getMessage() + "); run the views role on one node of a cluster");
      }
      sourceLock = ar.result();
      return Future.succeededFuture();
    }));
  }

  private Future<String> deploy(String role, JsonObject conf) {
    DeploymentOptions options = new DeploymentOptions().setConfig(conf);
    switch (role) {
      case "ingest":
        return vertx.deployVerticle(new IngestVerticle(), options);
      case "web":
        return vertx.deployVerticle(new WebVerticle(), options);
      case "views":
        String source = Config.of(conf).string(Config.SOURCE);
        if (source.equals("materialize")) {
          return vertx.deployVerticle(new TailVerticle(), options);
        }
        if (!source.equals("embedded")) {
          return Future.failedFuture("source must be embedded or materialize, not '" + source + "'"); // quoted: a stray space shows
        }
        // Worker: the engine reads the file and folds events with blocking calls, off the event loops.
        return vertx.deployVerticle(new EngineVerticle(), options.setThreadingModel(ThreadingModel.WORKER));
      default:
        throw new IllegalStateException(role);
    }
  }
}
