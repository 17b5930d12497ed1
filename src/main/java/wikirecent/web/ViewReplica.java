package wikirecent.web;

import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import wikirecent.bus.Addresses;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewParams;
import wikirecent.bus.ViewTable;
import wikirecent.retry.Backoff;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * This node's copy of one view instance (a view and its parameters, by canonical key), kept by the only
 * event-bus consumer of {@code views.<key>} on the node. It joins late as every subscriber does
 * (docs/ARCHITECTURE.md): register, ask {@code views.<view>.snapshot} (with the parameters as the body,
 * which also opens the instance at the source), hold the batches that arrive meanwhile, then apply those
 * newer than the snapshot. If no source answers yet, or it is catching up (503), it retries on a back-off
 * and also takes the source's published (reset) snapshot. A batch that does not fit the replica, or follows
 * one that never arrived (its "previous"; a clustered bus delivers at most once), is a divergence: the
 * replica asks for a fresh snapshot. A refusal (400, 429, 501) ends a replica that is not permanent: its
 * owner drops it and tells its clients.
 * <p>
 * Each batch is applied as it comes and handed to the {@link FanOut}: on a node with a small audience it
 * goes out as it came, so every such node sends the same sequence (but for the batches a client that joined during a
 * build gets merged after its snapshot); on a crowded one each follower gets,
 * when its turn comes, everything newer than what it holds, merged into one frame.
 * <p>
 * A snapshot is built (ordered, serialized, framed for each transport) once per state, when a client needs it, on a
 * worker thread ({@link #BUILDERS}): for a view of 200,000 users that is up to half a second of CPU, which would hold
 * every client of the node (less after the first build: {@link ViewTable.Captured#snapshot} merges the rows changed
 * since into the last build's order). Meanwhile the table holds still (its batches wait, so the build needs no copy of
 * the rows) but the batches go out at once to the followers that hold a state; those that lack one are sent the
 * snapshot when it is ready, then those batches merged ({@link Encoded#since}). A snapshot request (REST, the bridge)
 * is answered with a state that holds every batch sent before it came: a page holds the batches sent after it asked and
 * replays those newer than its answer, and a GET after a change a stream showed shows it too. So a request that comes
 * after a batch went out during a build waits for the next build.
 */
final class ViewReplica {

  /** Told when a replica ends because its source refused it. */
  interface Owner {
    void ended(ViewReplica replica, OpenFailure why);
  }

  private static final Logger log = LoggerFactory.getLogger(ViewReplica.class);
  // Clients decide which instances exist and how often they come and go: their lines are rate-limited.
  private static final LogLimiter onDemandLog = new LogLimiter(log, Level.INFO);
  private static final LogLimiter onDemandWarn = new LogLimiter(log, Level.WARN);
  private static final long REQUEST_TIMEOUT_MILLIS = 10_000;
  private static final long RETRY_MIN_MILLIS = 200;
  private static final long RETRY_MAX_MILLIS = 5_000;
  /** Jittered, so the web nodes of a cluster do not ask a restarting source in lockstep. */
  private final Backoff backoff = new Backoff(RETRY_MIN_MILLIS, RETRY_MAX_MILLIS, RETRY_MIN_MILLIS, ThreadLocalRandom.current());
  /** Batches held while a snapshot is on its way; past this, they are dropped and a newer snapshot is asked for. */
  private static final int MAX_HELD = 10_000;
  /** The worker pool that builds snapshots: shared by the node's replicas, a thread per core of this kind of box. */
  static final String BUILDERS = "wikirecent-snapshot-builds";
  static final int BUILDER_THREADS = 2;

  private final Vertx vertx;
  private final ViewParams params;
  private final String key;
  private final String view;
  /** The parameters messages carry; null for a view's default set, whose messages have none. */
  private final JsonObject paramsJson;
  private final boolean permanent;
  private final FanOut fanOut;
  private final WebMetrics metrics;
  private final Owner owner;
  private final ViewTable table;
  private final WorkerExecutor builds;
  private final List<JsonObject> held = new ArrayList<>();
  /** Batches that came while a snapshot of the state is being built: the table takes them once it is. */
  private final List<JsonObject> deferred = new ArrayList<>();
  /** Those of them clients were sent (as clients get them): what a snapshot's {@link Encoded#since} merges. */
  private final List<JsonObject> sentDuringBuild = new ArrayList<>();
  /** Requests waiting for the snapshot being built. */
  private final List<Handler<AsyncResult<Encoded>>> snapshotWaiters = new ArrayList<>();
  /** Requests that need a state newer than the one being built: answered by the next build. */
  private final List<Handler<AsyncResult<Encoded>>> nextBuildWaiters = new ArrayList<>();
  /** While true the table holds still (batches are deferred): the state being built is the table's. */
  private boolean building;
  /** After a build that failed: when to try again, while a follower still waits for a state. */
  private Backoff buildBackoff = new Backoff(RETRY_MIN_MILLIS, RETRY_MAX_MILLIS, RETRY_MIN_MILLIS, ThreadLocalRandom.current());
  private long buildRetryTimer = -1;
  private int failedBuilds;
  /** Bumped whenever the state a build started from is replaced or lost, so that build's result is ignored. */
  private long buildGeneration;
  /** Callers waiting for the next outcome: synced, or a failed attempt. */
  private final List<Promise<Void>> waiters = new ArrayList<>();
  /** The state whose changes every client was handed: the last snapshot adopted or batch fanned out. */
  private long fannedOut = -1;
  private MessageConsumer<Object> consumer;
  /** What the source said it had published at the last keep-alive: by the next one, this replica must have it. */
  private long publishedBefore = -1;
  private boolean synced;
  private boolean heldOverflow;
  /** Bumped per request, so an answer to an outdated request is ignored. */
  private long requestGeneration;
  private long retryTimer = -1;
  private int failedAttempts;
  private Encoded snapshot;
  private boolean stopped;
  private OpenFailure endedWith;
  /** Callers holding the replica open (a REST request, a stream being upgraded); see {@link Replicas}. */
  int pins;

  /**
   * @param permanent one of the views every node always holds: never ends, logs at info
   */
  ViewReplica(Vertx vertx, ViewParams params, boolean permanent, FanOut fanOut, WebMetrics metrics, Owner owner,
              WorkerExecutor builds) {
    this.vertx = vertx;
    this.builds = builds;
    this.params = params;
    this.key = params.toString();
    this.view = params.view().viewName();
    this.paramsJson = params.isDefault() ? null : params.toJson();
    this.permanent = permanent;
    this.fanOut = fanOut;
    this.metrics = metrics;
    this.owner = owner;
    this.table = new ViewTable(view);
  }

  /**
   * Registers the consumer; completes once registered (the snapshot follows asynchronously). A registration that fails
   * (a clustered bus mid-merge) still asks for the snapshot: never asked, an instance opened on demand stayed unsynced
   * for good; synced, a keep-alive that finds its batches missing registers it again.
   */
  Future<Void> start() {
    consumer = vertx.eventBus().consumer(Addresses.view(key), this::onMessage);
    return consumer.completion().onComplete(ar -> {
      if (ar.failed() && !stopped) {
        warn("Could not register for the batches of " + key + " (" + ar.cause().getMessage() + "); asking for its snapshot,"
          + " and registering again if a keep-alive finds batches missing");
      }
      requestSnapshot();
    });
  }

  /** Unregisters; whoever still waits is told the instance is gone. */
  void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    if (retryTimer != -1) {
      vertx.cancelTimer(retryTimer);
      retryTimer = -1;
    }
    cancelBuildRetry();
    if (consumer != null) {
      consumer.unregister();
    }
    dropBuild(false);
    failWaiters(endedWith());
    failSnapshotWaiters(endedWith());
  }

  ViewParams params() {
    return params;
  }

  String key() {
    return key;
  }

  String view() {
    return view;
  }

  boolean permanent() {
    return permanent;
  }

  boolean synced() {
    return synced;
  }

  boolean stopped() {
    return stopped;
  }

  long timestamp() {
    return table.timestamp();
  }

  /** Why it stopped: the source's refusal, or (dropped) a 503. */
  OpenFailure endedWith() {
    return endedWith != null ? endedWith : new OpenFailure(503, "the replica of " + key + " was dropped");
  }

  /**
   * Completes when the replica is synced (at once if it is); fails with the {@link OpenFailure} of the
   * next failed attempt to get its snapshot (a 503 when it is worth trying again) or of its end.
   */
  Future<Void> outcome() {
    if (synced) {
      return Future.succeededFuture();
    }
    if (stopped) {
      return Future.failedFuture(endedWith());
    }
    Promise<Void> p = Promise.promise();
    waiters.add(p);
    return p.future();
  }

  /**
   * The current state as a snapshot message, if it is built; otherwise null, and it is being built: the fan-out is
   * handed it when ready ({@link FanOut#snapshotReady}). Null too until synced (and while re-syncing).
   */
  Encoded snapshot() {
    if (!synced) {
      return null;
    }
    if (snapshot == null && buildRetryTimer == -1) {
      build(); // after a failed build, the retry's back-off decides: not every walk visit and new follower
    }
    return snapshot;
  }

  /**
   * Hands {@code then} a snapshot holding every batch clients were sent before this call (see the class comment): at
   * once if one is built, else when it is. Fails with a 503 while the replica has no state, or if it loses it first.
   */
  void snapshot(Handler<AsyncResult<Encoded>> then) {
    if (!synced || stopped) {
      then.handle(Future.failedFuture(new OpenFailure(503, "no snapshot of " + key + " yet")));
      return;
    }
    Encoded now = snapshot();
    if (now != null && now.timestamp >= fannedOut) {
      then.handle(Future.succeededFuture(now));
    } else if (building && table.timestamp() < fannedOut) {
      nextBuildWaiters.add(then);
    } else {
      snapshotWaiters.add(then);
      build();
    }
  }

  private void build() {
    if (building || stopped) {
      return;
    }
    building = true;
    long generation = buildGeneration;
    ViewTable.Captured state = table.capture();
    long started = System.nanoTime();
    metrics.buildStarted();
    Context here = vertx.getOrCreateContext();
    // Always on a later turn: a build done before its handler is set would otherwise end inside this call.
    builds.executeBlocking(() -> Encoded.of(key, shaped(state.snapshot())).prepared(), false)
      .onComplete(ar -> here.runOnContext(v -> {
        long nanos = System.nanoTime() - started;
        metrics.buildEnded(nanos);
        table.release(state); // the builder is done with it: batches change the rows in place again, no copy
        built(generation, ar, nanos);
      }));
  }

  private void built(long generation, AsyncResult<Encoded> ar, long nanos) {
    if (generation != buildGeneration) {
      return; // the state it was built from was replaced or lost meanwhile
    }
    building = false;
    if (ar.failed()) {
      failSnapshotWaiters(new OpenFailure(503, "the snapshot of " + key + " could not be built"));
      buildAgainLater(ar.cause());
    } else {
      forgetFailedBuilds();
      Encoded built = ar.result();
      built.since = merged(sentDuringBuild);
      snapshot = built;
      log.debug("Built the snapshot of {} at {} ({} bytes) in {} ms", key, built.timestamp, built.length(), nanos / 1_000_000);
      List<Handler<AsyncResult<Encoded>>> ready = new ArrayList<>(snapshotWaiters);
      snapshotWaiters.clear();
      ready.forEach(h -> h.handle(Future.succeededFuture(built)));
      fanOut.snapshotReady(built);
    }
    sentDuringBuild.clear();
    List<JsonObject> waited = new ArrayList<>(deferred);
    deferred.clear();
    for (JsonObject batch : waited) {
      if (stopped) {
        return;
      }
      if (!table.apply(batch)) { // its order was checked when it came, and it went out then
        resync("Batch " + ViewMessage.timestamp(batch) + " of " + key + " does not fit the replica at " + table.timestamp());
        return;
      }
    }
    if (!nextBuildWaiters.isEmpty() && !stopped) {
      snapshotWaiters.addAll(nextBuildWaiters);
      nextBuildWaiters.clear();
      build();
    }
  }

  /**
   * A build failed (short of memory, say). The requests waiting were told (503) and ask again, but a follower without
   * a state (a stream that joined) waits for a snapshot that nothing else may ask for soon: while one does, the build is
   * tried again on a back-off.
   */
  private void buildAgainLater(Throwable why) {
    if (failedBuilds++ == 0) {
      log.error("Could not build the snapshot of {}; trying again while a client waits for it", key, why);
    } else {
      log.debug("Could not build the snapshot of {} ({} in a row): {}", key, failedBuilds, why.toString());
    }
    cancelBuildRetry();
    buildRetryTimer = vertx.setTimer(buildBackoff.afterFailure(), t -> {
      buildRetryTimer = -1;
      if (!stopped && synced && snapshot == null && fanOut.awaitsSnapshot(key)) {
        build();
      }
    });
  }

  /** Tests: a failed build's retry waits as this back-off says. */
  void buildBackoff(Backoff backoff) {
    buildBackoff = backoff;
  }

  /** True while a failed build's retry waits on its timer (tests: whether it has run yet). */
  boolean buildRetryPending() {
    return buildRetryTimer != -1;
  }

  private void forgetFailedBuilds() {
    failedBuilds = 0;
    buildBackoff.reset();
    cancelBuildRetry();
  }

  private void cancelBuildRetry() {
    if (buildRetryTimer != -1) {
      vertx.cancelTimer(buildRetryTimer);
      buildRetryTimer = -1;
    }
  }

  /** Batches clients were sent, merged into one from the first's state; null if none. */
  private Encoded merged(List<JsonObject> sent) {
    if (sent.isEmpty()) {
      return null;
    }
    PendingDiff diff = new PendingDiff(view, paramsJson);
    sent.forEach(diff::add);
    return Encoded.of(key, diff.take());
  }

  /**
   * The state a build started from is replaced ({@code keepDeferred} false: by a snapshot, which the batches that waited
   * precede) or lost (true: they are held with the batches that follow, for the snapshot the replica asks for next).
   */
  private void dropBuild(boolean keepDeferred) {
    if (!building) {
      return;
    }
    building = false;
    buildGeneration++;
    if (keepDeferred) {
      held.addAll(0, deferred);
    }
    deferred.clear();
    sentDuringBuild.clear();
  }

  private void failSnapshotWaiters(OpenFailure why) {
    List<Handler<AsyncResult<Encoded>>> failed = new ArrayList<>(snapshotWaiters);
    failed.addAll(nextBuildWaiters);
    snapshotWaiters.clear();
    nextBuildWaiters.clear();
    failed.forEach(h -> h.handle(Future.failedFuture(why)));
  }

  /**
   * The timestamp of the state a client that starts following now is taken to hold (it is sent the batches after it):
   * the replica's, or the last batch sent out while the table waits for a build; -1 while it is not synced.
   */
  long stateTimestamp() {
    return synced ? Math.max(table.timestamp(), fannedOut) : -1;
  }

  /**
   * At each keep-alive the source names the timestamp it last published on this instance. One keep-alive later
   * the replica must hold it (a batch takes milliseconds); if not, the batches stopped reaching this node while
   * the source went on (a clustered event bus that lost this node's subscription): it subscribes again and
   * takes a fresh snapshot. True when it did.
   */
  boolean missedBatches(long publishedNow) {
    long expected = publishedBefore;
    publishedBefore = synced ? publishedNow : -1;
    if (stopped || !synced || expected < 0 || received() >= expected) {
      return false;
    }
    warn("Replica of " + key + " is at " + table.timestamp() + " but the source published " + expected
      + " a keep-alive ago: no batches reach this node; subscribing again");
    publishedBefore = -1;
    MessageConsumer<Object> old = consumer;
    // The new registration first, so the node is never without one; a batch seen twice is ignored as old news.
    consumer = vertx.eventBus().consumer(Addresses.view(key), this::onMessage);
    consumer.completion().onComplete(ar -> {
      if (old != null) {
        old.unregister();
      }
      reopen("no batches arrived");
    });
    return true;
  }

  /**
   * The source may no longer have this instance (it said so, or it restarted): take a fresh snapshot, which
   * opens it again, and restart the clients from it. Batches meanwhile are held, as when joining.
   */
  void reopen(String why) {
    if (stopped) {
      return;
    }
    log(Level.DEBUG, "Reopening " + key + " (" + why + ")");
    unsync();
    publishedBefore = -1;
    failedAttempts = 0;
    backoff.reset();
    if (retryTimer != -1) {
      vertx.cancelTimer(retryTimer);
      retryTimer = -1;
    }
    requestSnapshot();
  }

  private void onMessage(Message<Object> message) {
    if (stopped) {
      return;
    }
    JsonObject body = ViewMessage.ofInstance(params.view(), paramsJson, message.body());
    if (body == null) {
      metrics.invalidMessage(view);
      warn("Ignored a malformed message on " + Addresses.view(key) + ": " + abbreviate(message.body()));
      return;
    }
    metrics.batchReceived(view);
    if (ViewMessage.isSnapshot(body)) {
      // The source (re)started or reconnected upstream: its snapshot replaces everything.
      adopt(body, "reset");
      return;
    }
    onBatch(body);
  }

  /**
   * A valid batch: held while the replica has no state; else sent out, and applied, or deferred while a snapshot of the
   * state is built.
   */
  private void onBatch(JsonObject body) {
    if (!synced) {
      if (held.size() >= MAX_HELD) {
        held.clear();
        heldOverflow = true;
      }
      held.add(body);
      return;
    }
    if (building && deferred.size() >= MAX_HELD) {
      dropBuild(false);
      resync("More than " + MAX_HELD + " batches of " + key + " came while its snapshot was built");
      return;
    }
    // A batch at or before what the replica holds is old news.
    long ts = ViewMessage.timestamp(body);
    long known = received();
    if (ts <= known) {
      return;
    }
    if (ViewMessage.previous(body) > known) {
      resync("Batch " + ts + " of " + key + " follows " + ViewMessage.previous(body)
        + ", which never arrived here (at " + known + ")");
      return;
    }
    boolean changes = !body.getJsonArray(ViewMessage.INSERTED).isEmpty() || !body.getJsonArray(ViewMessage.DELETED).isEmpty();
    if (building) {
      deferred.add(body);
    } else if (!table.apply(body)) {
      resync("Batch " + ts + " of " + key + " does not fit the replica at " + known);
      return;
    }
    if (changes || !building) {
      snapshot = null; // it (with its since) no longer ends where the clients are
    }
    if (changes) {
      JsonObject out = forClients(body);
      if (building) {
        sentDuringBuild.add(out);
      }
      long previous = fannedOut;
      fannedOut = ts;
      fanOut.batch(key, out, previous);
    }
  }

  /** The timestamp of the last batch this synced replica took: the table's, or the last deferred while it holds still. */
  private long received() {
    return deferred.isEmpty() ? table.timestamp() : ViewMessage.timestamp(deferred.get(deferred.size() - 1));
  }

  /** What clients get of a batch: its rows and timestamp, without the bus's own fields ({@code previous}). */
  private JsonObject forClients(JsonObject batch) {
    JsonObject out = ViewMessage.batch(view, ViewMessage.timestamp(batch), batch.getJsonArray(ViewMessage.INSERTED),
      batch.getJsonArray(ViewMessage.DELETED));
    return paramsJson == null ? out : out.put(ViewMessage.PARAMS, paramsJson.copy());
  }

  /** The replica missed something: stop sending batches and take a fresh snapshot (clients get it too). */
  private void resync(String why) {
    metrics.divergence(view);
    warn(why + ": asking for a fresh snapshot");
    unsync();
    requestSnapshot();
  }

  /** The state can no longer be trusted: batches are held until a fresh snapshot, and requests for it get a 503. */
  private void unsync() {
    synced = false;
    cancelBuildRetry(); // a fresh state builds at once
    dropBuild(true);
    failSnapshotWaiters(new OpenFailure(503, "the replica of " + key + " is taking a fresh snapshot"));
  }

  private void requestSnapshot() {
    if (stopped) {
      return;
    }
    long generation = ++requestGeneration;
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(REQUEST_TIMEOUT_MILLIS);
    String address = Addresses.snapshot(view);
    // The default set is asked for with no body, as always; an instance with its parameters.
    vertx.eventBus().request(address, paramsJson == null ? null : paramsJson.copy(), options).onComplete(ar -> {
      if (generation != requestGeneration || synced || stopped) {
        return; // a reset snapshot got here first, or a newer request is under way
      }
      if (ar.failed()) {
        OpenFailure why = OpenFailure.of(ar.cause(), address);
        if (why.endsReplica() && !permanent) {
          end(why);
        } else {
          retryLater(why);
        }
        return;
      }
      JsonObject body = ViewMessage.ofInstance(params.view(), paramsJson, ar.result().body());
      if (body == null || !ViewMessage.isSnapshot(body)) {
        metrics.invalidMessage(view);
        retryLater(new OpenFailure(503, "the answer is not a snapshot of " + key));
        return;
      }
      if (heldOverflow) {
        heldOverflow = false;
        held.clear();
        requestSnapshot(); // batches between this snapshot and now were dropped: ask again
        return;
      }
      adopt(body, failedAttempts == 0 ? "synced" : "synced after " + failedAttempts + " failed attempts");
    });
  }

  /** The source refused the instance: nothing to retry. */
  private void end(OpenFailure why) {
    endedWith = why;
    log(Level.DEBUG, "The source refused " + key + ": " + why.code + " " + why.getMessage());
    stop();
    owner.ended(this, why);
  }

  private void retryLater(OpenFailure why) {
    failedAttempts++;
    failWaiters(why);
    if (failedAttempts == 1) {
      log(Level.INFO, "No snapshot of " + key + " yet (" + why.code + ": " + why.getMessage()
        + "); retrying, and waiting for the source's own snapshot");
    } else {
      log.debug("Snapshot of {} still unavailable after {} attempts ({})", key, failedAttempts, why.getMessage());
    }
    long delay = backoff.afterFailure();
    retryTimer = vertx.setTimer(delay, t -> {
      retryTimer = -1;
      if (!synced) {
        requestSnapshot();
      }
    });
  }

  /** Takes a snapshot, replays the held batches newer than it, and restarts every subscriber from it. */
  private void adopt(JsonObject snap, String why) {
    requestGeneration++; // answers to requests still out are now stale
    publishedBefore = -1; // what the source said it published before this state (a reset may go back in time)
    dropBuild(false);
    if (retryTimer != -1) {
      vertx.cancelTimer(retryTimer);
      retryTimer = -1;
    }
    forgetFailedBuilds(); // their wait was for the state this replaces: the new one builds at once
    table.apply(snap);
    snapshot = null;
    snapshotWaiters.addAll(nextBuildWaiters); // this state holds whatever was sent before
    nextBuildWaiters.clear();
    List<JsonObject> replay = new ArrayList<>(held);
    held.clear();
    heldOverflow = false;
    boolean wasSynced = synced;
    synced = true;
    failedAttempts = 0;
    backoff.reset();
    int replayed = 0;
    for (JsonObject batch : replay) {
      long ts = ViewMessage.timestamp(batch);
      if (ts > table.timestamp()) {
        if (ViewMessage.previous(batch) > table.timestamp() || !table.apply(batch)) {
          resync("Held batch " + ts + " of " + key + " does not follow the snapshot and the batches before it");
          return;
        }
        replayed++;
      }
    }
    snapshot = null;
    int rows = table.size();
    int applied = replayed;
    log(Level.INFO, "Replica of " + key + " " + (wasSynced ? "reset" : why) + " at " + table.timestamp()
      + " (" + rows + " rows, " + applied + " held batches applied)");
    List<Promise<Void>> ready = new ArrayList<>(waiters);
    waiters.clear();
    ready.forEach(Promise::tryComplete);
    fannedOut = table.timestamp();
    fanOut.snapshotToAll(key, this::snapshot, wasSynced ? "reset" : "synced");
    if (!snapshotWaiters.isEmpty()) {
      build(); // requests that waited for the state this snapshot replaced get this one's
    }
  }

  private void failWaiters(OpenFailure why) {
    List<Promise<Void>> failed = new ArrayList<>(waiters);
    waiters.clear();
    failed.forEach(p -> p.tryFail(why));
  }

  /** A message built here carries the instance's parameters, as the source's do. */
  private JsonObject shaped(JsonObject message) {
    return paramsJson == null ? message : message.put(ViewMessage.PARAMS, paramsJson.copy());
  }

  /** The permanent replicas log as they always did; those clients ask for, at most a line per interval. */
  private void log(Level level, String line) {
    if (permanent || level == Level.DEBUG) {
      log.atLevel(level).log(line);
    } else {
      onDemandLog.log(() -> line);
    }
  }

  private void warn(String line) {
    if (permanent) {
      log.warn(line);
    } else {
      onDemandWarn.log(() -> line);
    }
  }

  private static String abbreviate(Object body) {
    String s = String.valueOf(body);
    return s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }
}
