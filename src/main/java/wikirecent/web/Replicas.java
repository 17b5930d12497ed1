package wikirecent.web;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import wikirecent.bus.Addresses;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewParams;
import wikirecent.bus.Views;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * This node's replicas, one per view instance (canonical key). The default sets of the three views every
 * source serves ({@link Views}) are held always; any other instance is opened when a local client first
 * asks for it (REST, a stream, a bridge registration or snapshot request), stays while a client follows it
 * or a request holds it, then lingers {@code web.replicaLingerSeconds} and is dropped.
 * <p>
 * The source keeps an instance only while some web node wants it: every {@code views.keepAliveMillis} this
 * node names the non-default instances it holds on {@code views.wanted}, and reopens those the source says it
 * has no longer; when a source starts ({@code views.started}) they are all reopened. A refusal (400, 429, 501)
 * ends a replica and is told to its clients; it is remembered for a few seconds, so a client asking again
 * and again costs the source nothing. At most {@code web.maxReplicas} on-demand replicas exist at once.
 * Everything runs on the web verticle's event loop.
 */
final class Replicas implements ViewReplica.Owner {

  private static final Logger log = LoggerFactory.getLogger(Replicas.class);
  private final LogLimiter refusedLog = new LogLimiter(log, Level.INFO);
  /** How long a refusal is answered from memory instead of asking the source again. */
  static final long REFUSAL_MEMORY_MILLIS = 5_000;
  private static final int MAX_REMEMBERED = 10_000;

  /** The settings, from {@code web.*} and {@code views.keepAliveMillis}. */
  record Settings(long lingerMillis, int maxReplicas, long keepAliveMillis, long openTimeoutMillis) {
  }

  /** Until when, in {@link System#nanoTime}: a wall clock set back would make it remembered for that much longer. */
  private record Refusal(OpenFailure failure, long untilNanos) {
  }

  private final Vertx vertx;
  private final WorkerExecutor builds;
  private final FanOut fanOut;
  private final WebMetrics metrics;
  private final Settings settings;
  private final Map<String, ViewReplica> replicas = new LinkedHashMap<>();
  private final Map<String, ViewReplica> permanent = new LinkedHashMap<>();
  /** Linger timers by key, oldest first: the first to go when room is needed. */
  private final Map<String, Long> lingering = new LinkedHashMap<>();
  private final Map<String, Refusal> refusals = new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Refusal> eldest) {
      return size() > MAX_REMEMBERED;
    }
  };
  /** Replicas held per view, read by the metrics' scrape thread. */
  private final Map<String, AtomicInteger> perView = new ConcurrentHashMap<>();
  private int onDemand;
  private long keepAliveTimer = -1;
  private MessageConsumer<Object> startedConsumer;

  /** @param builds where the replicas build their snapshots, off the event loop */
  Replicas(Vertx vertx, FanOut fanOut, WebMetrics metrics, Settings settings, WorkerExecutor builds) {
    this.vertx = vertx;
    this.builds = builds;
    this.fanOut = fanOut;
    this.metrics = metrics;
    this.settings = settings;
    for (ViewParams.View v : ViewParams.View.values()) {
      perView.put(v.viewName(), new AtomicInteger());
    }
    for (Views v : Views.values()) {
      ViewReplica r = new ViewReplica(vertx, ViewParams.of(ViewParams.View.byName(v.viewName())), true, fanOut, metrics, this, builds);
      permanent.put(v.viewName(), r);
      replicas.put(r.key(), r);
      perView.get(r.view()).incrementAndGet();
    }
  }

  /** Registers the permanent replicas and the {@code views.started} consumer; completes once they are registered. */
  Future<?> start() {
    List<Future<?>> registered = new ArrayList<>();
    permanent.values().forEach(r -> registered.add(r.start()));
    startedConsumer = vertx.eventBus().consumer(Addresses.VIEWS_STARTED, m -> sourceStarted());
    registered.add(startedConsumer.completion());
    keepAliveTimer = vertx.setPeriodic(settings.keepAliveMillis(), t -> keepAlive());
    return Future.all(registered);
  }

  void stop() {
    vertx.cancelTimer(keepAliveTimer);
    lingering.values().forEach(vertx::cancelTimer);
    lingering.clear();
    if (startedConsumer != null) {
      startedConsumer.unregister();
    }
    // A copy: stopping fails waiters, whose release may drop a replica from the map at once (no linger).
    List.copyOf(replicas.values()).forEach(ViewReplica::stop);
  }

  /** The replicas every node holds, by view name (for /health and the per-view gauges). */
  Map<String, ViewReplica> permanent() {
    return Collections.unmodifiableMap(permanent);
  }

  /** Replicas of this view held now (any thread). */
  int held(String view) {
    AtomicInteger n = perView.get(view);
    return n == null ? 0 : n.get();
  }

  /** The instance's current snapshot, or null while this node has none. */
  Encoded snapshotOf(String key) {
    ViewReplica r = replicas.get(key);
    return r == null ? null : r.snapshot();
  }

  /** The timestamp of the state this node holds of an instance, or -1 while it holds none. */
  long timestampOf(String key) {
    ViewReplica r = replicas.get(key);
    return r == null ? -1 : r.stateTimestamp();
  }

  /**
   * The replica of this instance, opened if this node has none, held until {@link #release}. Throws
   * {@link OpenFailure} (429, or a refusal remembered) when it cannot be opened.
   */
  ViewReplica acquire(ViewParams params) {
    String key = params.toString();
    ViewReplica r = replicas.get(key);
    if (r == null) {
      Refusal refused = refusals.get(key);
      if (refused != null && System.nanoTime() - refused.untilNanos() < 0) {
        throw refused.failure();
      }
      refusals.remove(key);
      if (onDemand >= settings.maxReplicas() && !dropOldestLingering()) {
        metrics.replicaRefused(429);
        refusedLog.log(() -> "Refused to open " + key + ": this node holds " + onDemand + " replicas (web.maxReplicas)");
        throw new OpenFailure(429, "this web node holds as many view instances as it may (web.maxReplicas = "
          + settings.maxReplicas() + "); try again later");
      }
      r = new ViewReplica(vertx, params, false, fanOut, metrics, this, builds);
      replicas.put(key, r);
      onDemand++;
      perView.get(r.view()).incrementAndGet();
      metrics.replicaOpened();
      r.start();
    }
    cancelLinger(key);
    r.pins++;
    return r;
  }

  /** The caller no longer holds the replica open; with no followers either, it starts to linger. */
  void release(ViewReplica r) {
    if (r.pins > 0) {
      r.pins--;
    }
    idleCheck(r.key());
  }

  /**
   * {@link #acquire}, then waits (at most {@code web.openTimeoutMillis}) for the replica to be synced.
   * Succeeds with the replica held (the caller releases it), at once for a permanent one whatever its state;
   * fails with the {@link OpenFailure} a client is told (then nothing is held).
   */
  Future<ViewReplica> open(ViewParams params) {
    ViewReplica r;
    try {
      r = acquire(params);
    } catch (OpenFailure f) {
      return Future.failedFuture(f);
    }
    if (r.permanent() || r.synced()) {
      return Future.succeededFuture(r);
    }
    Promise<ViewReplica> result = Promise.promise();
    long timeout = settings.openTimeoutMillis();
    long timer = vertx.setTimer(timeout, t -> result.tryFail(new OpenFailure(503,
      "no snapshot of " + r.key() + " within " + timeout + " ms; try again")));
    r.outcome().onComplete(ar -> {
      vertx.cancelTimer(timer);
      if (ar.succeeded()) {
        result.tryComplete(r);
      } else {
        result.tryFail(ar.cause());
      }
    });
    return result.future().onFailure(e -> release(r));
  }

  /** No client follows the instance on this node now (the fan-out's last follower left). */
  void idleCheck(String key) {
    ViewReplica r = replicas.get(key);
    if (r == null || r.permanent()) {
      return;
    }
    if (!idle(r)) {
      cancelLinger(key);
      return;
    }
    if (lingering.containsKey(key)) {
      return;
    }
    if (settings.lingerMillis() <= 0) {
      drop(r);
      return;
    }
    lingering.put(key, vertx.setTimer(settings.lingerMillis(), t -> {
      lingering.remove(key);
      if (replicas.get(key) == r && idle(r)) {
        drop(r);
      }
    }));
  }

  private boolean idle(ViewReplica r) {
    return r.pins == 0 && fanOut.followers(r.key()) == 0;
  }

  private void cancelLinger(String key) {
    Long timer = lingering.remove(key);
    if (timer != null) {
      vertx.cancelTimer(timer);
    }
  }

  private boolean dropOldestLingering() {
    for (String key : lingering.keySet()) {
      ViewReplica r = replicas.get(key);
      if (r != null && idle(r)) {
        drop(r);
        return true;
      }
    }
    return false;
  }

  private void drop(ViewReplica r) {
    if (forget(r)) {
      r.stop();
      metrics.replicaDropped();
      log.debug("Dropped the replica of {}: no client followed it for {} ms", r.key(), settings.lingerMillis());
    }
  }

  /** Takes the replica out of the books; false if it was not in them. */
  private boolean forget(ViewReplica r) {
    if (replicas.get(r.key()) != r) {
      return false;
    }
    replicas.remove(r.key());
    cancelLinger(r.key());
    onDemand--;
    perView.get(r.view()).decrementAndGet();
    return true;
  }

  /** The source refused the instance: its clients are told, and a client asking again is answered from memory. */
  @Override
  public void ended(ViewReplica r, OpenFailure why) {
    forget(r);
    refusals.put(r.key(), new Refusal(why, System.nanoTime() + REFUSAL_MEMORY_MILLIS * 1_000_000));
    metrics.replicaRefused(why.code);
    refusedLog.log(() -> "The view source refused " + r.key() + " (" + why.code + ": " + LogLimiter.clean(why.getMessage()) + ")");
    fanOut.end(r.key(), why);
  }

  /**
   * Tells the source which instances this node still wants, and reopens those it no longer has; asks what it last
   * published on every synced one, the three original views included, so a replica that stopped getting batches
   * notices ({@link ViewReplica#missedBatches}).
   */
  private void keepAlive() {
    List<String> keys = new ArrayList<>();
    for (ViewReplica r : replicas.values()) {
      if (wantedFromSource(r) || r.synced()) {
        keys.add(r.key());
      }
    }
    if (keys.isEmpty()) {
      return;
    }
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(Math.max(1000, settings.keepAliveMillis()));
    vertx.eventBus().request(Addresses.VIEWS_WANTED, ViewMessage.wanted(keys), options)
      .onFailure(e -> log.debug("Keep-alive of {} instances not answered: {}", keys.size(), e.toString()))
      .onSuccess(reply -> {
        JsonObject body = reply.body() instanceof JsonObject o ? o : null;
        Object unknown = body == null ? null : body.getValue(ViewMessage.UNKNOWN);
        if (!(unknown instanceof JsonArray)) {
          log.debug("A keep-alive reply without an unknown list: {}", reply.body());
          return;
        }
        for (Object k : (JsonArray) unknown) {
          ViewReplica r = k instanceof String ? replicas.get(k) : null;
          // One not yet synced is asking for its snapshot anyway.
          if (r != null && wantedFromSource(r) && r.synced()) {
            metrics.replicaReopened("unknown");
            r.reopen("the view source has no live instance of it");
          }
        }
        // A source that does not say what it published (an older one) is not checked.
        if (body.getValue(ViewMessage.PUBLISHED) instanceof JsonObject published) {
          for (String k : keys) {
            ViewReplica r = replicas.get(k);
            if (r != null && published.getValue(k) instanceof Number ts && r.missedBatches(ts.longValue())) {
              metrics.replicaReopened("missed");
            }
          }
        }
      });
  }

  /** A source went live: every instance it serves on request is asked for again (the default sets get reset snapshots). */
  private void sourceStarted() {
    for (ViewReplica r : new ArrayList<>(replicas.values())) {
      if (wantedFromSource(r)) {
        metrics.replicaReopened("started");
        r.reopen("a view source started");
      }
    }
  }

  private static boolean wantedFromSource(ViewReplica r) {
    return !r.permanent() && !r.params().isDefault();
  }
}
