package wikirecent.engine;

import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import wikirecent.bus.Addresses;
import wikirecent.config.Config;
import wikirecent.bus.LastPublished;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewParams;
import wikirecent.bus.ViewsStatus;
import wikirecent.status.Metrics;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The embedded view source: follows {@code <data.dir>/recentchanges} with an {@link Engine} and
 * publishes each batch on {@code views.<key>} (the view name for a default set, else the canonical key).
 * Deployed as a WORKER verticle: reading the file and folding events block, and all of it runs serially
 * on this verticle's context.
 * <p>
 * Startup: load the checkpoint, catch up to the end of the file without publishing, then publish a
 * reset snapshot of every view's default set, {@code {}} on {@code views.started}, and go live. A step
 * runs at once when ingest's append hint arrives (hints during a step fold into one more step) and every
 * {@code engine.pollMillis} otherwise. While catching up, snapshot requests fail with code 503.
 * <p>
 * Parameterised instances open on request ({@code views.<view>.snapshot} with a params body), at most
 * {@code views.maxInstances} (429 beyond), and are dropped when no web node wanted them (a request or a
 * {@code views.wanted} keep-alive) for {@code views.instanceIdleSeconds}. Opens wait in an {@link OpenQueue}
 * and run in rounds of about {@link #OPEN_ROUND_NANOS}, a file step between rounds. A file reset drops them
 * all; {@code views.started} tells web nodes to ask again.
 */
public class EngineVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(EngineVerticle.class);
  private static final long PROGRESS_LOG_MILLIS = 5_000;
  /** The checkpoint's name in {@code data.dir}. */
  public static final String CHECKPOINT_FILE = "engine.checkpoint";
  /** Opens per round before the file gets a step: a 24 h instance over a busy day takes up to ~85 ms alone. */
  static final long OPEN_ROUND_NANOS = 20_000_000;
  /** The wait before the views are read again after a failed step, doubling per failure since last live. */
  static final long RETRY_FIRST_MILLIS = 1_000;
  static final long RETRY_MAX_MILLIS = 60_000;

  private final LastPublished published = new LastPublished();
  private final OpenQueue<Message<Object>> opens = new OpenQueue<>();
  /** Live parameterised instances (not the default sets) and when a web node last wanted each (ms, monotonic). */
  private final Map<ViewParams, Long> wanted = new HashMap<>();
  private int maxInstances;
  private long idleMillis;
  private boolean opensQueued;
  private Engine engine;
  private EngineMeters meters;
  private volatile boolean live; // also read by the up gauge, from the scraping thread
  private boolean stepQueued;
  private boolean stopped;
  private String readProblem;
  private String failure; // the last failed step's or try to go live's reason until the views are live again
  private int failures; // failed steps and tries to go live since the views were last live
  private long retryAtNanos; // after a failure, no step before this: a failure that repeats must not spin
  private boolean checkpointHeld; // from a failed step until caught up: the last checkpoint is further on than the re-read
  /** Given the engine before it restores, when set before deployment: lets tests set its hooks. */
  Consumer<Engine> engineHooks;
  private long catchUpStart;
  private long lastProgressLog;

  @Override
  public Future<?> start() {
    if (context.threadingModel() != ThreadingModel.WORKER) {
      return Future.failedFuture("EngineVerticle blocks on file reads: deploy it with ThreadingModel.WORKER");
    }
    Config config = Config.of(config());
    long pollMillis = config.longValue(Config.ENGINE_POLL_MILLIS);
    long checkpointMillis = config.longValue(Config.ENGINE_CHECKPOINT_MILLIS);
    maxInstances = config.integer(Config.VIEWS_MAX_INSTANCES);
    idleMillis = config.longValue(Config.VIEWS_INSTANCE_IDLE_SECONDS) * 1000;
    Path file = config.recentChangesFile();
    engine = new Engine(file, file.resolveSibling(CHECKPOINT_FILE),
      config.integer(Config.ENGINE_BATCH_MAX_BYTES), System::currentTimeMillis);
    if (engineHooks != null) {
      engineHooks.accept(engine);
    }
    Engine.Restore restore = engine.restore();
    if (restore.rejected()) {
      log.warn(restore.message());
    } else {
      log.info(restore.message());
    }
    meters = new EngineMeters(Metrics.registry(vertx), engine, () -> live);
    EventBus bus = vertx.eventBus();
    List<Future<Void>> registered = new ArrayList<>();
    for (ViewParams.View view : ViewParams.View.values()) {
      registered.add(bus.consumer(Addresses.snapshot(view.viewName()), msg -> answerSnapshot(view, msg)).completion());
    }
    registered.add(bus.consumer(Addresses.VIEWS_WANTED, this::answerWanted).completion());
    registered.add(bus.<JsonObject>consumer(Addresses.STATUS_VIEWS, this::answerStatus).completion());
    registered.add(bus.consumer(Addresses.FILE_APPENDED, msg -> requestStep()).completion());
    vertx.setPeriodic(pollMillis, id -> requestStep());
    vertx.setPeriodic(checkpointMillis, id -> checkpoint());
    vertx.setPeriodic(Math.max(100, Math.min(5_000, idleMillis / 4)), id -> dropIdle());
    beginCatchUp();
    return Future.all(registered).onSuccess(x -> requestStep());
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    opens.drain().forEach((params, askers) -> askers.forEach(m -> m.fail(503, "the view source is stopping")));
    checkpoint();
    engine.close();
    meters.close();
    return Future.succeededFuture();
  }

  // Coalesces: a step already queued absorbs every hint that arrives before it runs.
  private void requestStep() {
    if (failures > 0 && System.nanoTime() - retryAtNanos < 0) {
      return; // a poll after the wait runs it
    }
    if (!stepQueued) {
      stepQueued = true;
      context.runOnContext(v -> runStep());
    }
  }

  private void runStep() {
    stepQueued = false;
    if (stopped) {
      return;
    }
    Engine.Step step;
    long resets = engine.resets();
    try {
      step = engine.step(live);
      readProblem = null;
    } catch (Engine.StepFailed e) {
      checkpointHeld = true;
      failed(e.getMessage(), e.getCause());
      return;
    } catch (IOException | RuntimeException | Error e) {
      // An Error too (memory for a long record's buffer): nothing was applied, so the next append or poll tries again.
      String problem = "reading " + engine.file() + " failed: " + e;
      if (!problem.equals(readProblem)) {
        log.warn("{}; retrying on the next append or poll", problem);
      }
      readProblem = problem;
      if (engine.resets() != resets) {
        reset(); // the file was reset before the read failed: the step that said so never returned
      }
      meters.sync(engine);
      return;
    }
    meters.sync(engine);
    if (step.reset() != null) {
      reset();
    }
    if (live) {
      publish(step.messages());
    } else if (step.more()) {
      logProgress();
    } else {
      goLive();
    }
    if (step.more()) {
      requestStep();
    }
  }

  private void reset() {
    dropAll(); // the engine's new state has no instance
    if (live) {
      live = false; // the reset state is re-read without publishing, then announced with snapshots
      beginCatchUp();
    }
  }

  // A step that failed part-way is handled as a file reset, but the re-read waits, 1 s after the first failure
  // and twice as long after each one more (up to a minute): a failure that repeats would otherwise re-read the
  // whole file back to back. So does going live once caught up, if that failed. The views stay not live with
  // the reason in the status meanwhile.
  private void failed(String message, Throwable cause) {
    readProblem = null;
    failures++;
    long waitMillis = Math.min(RETRY_MAX_MILLIS, RETRY_FIRST_MILLIS << Math.min(20, failures - 1));
    retryAtNanos = System.nanoTime() + waitMillis * 1_000_000;
    if (message.equals(failure)) {
      log.error("{} ({} failures since the views were last live); retrying in {} ms", message, failures, waitMillis);
    } else {
      log.error(message + "; retrying in " + waitMillis + " ms", cause);
    }
    failure = message;
    dropAll();
    if (live) {
      live = false;
      beginCatchUp();
    }
    meters.sync(engine);
  }

  private void beginCatchUp() {
    catchUpStart = System.nanoTime();
    lastProgressLog = System.currentTimeMillis();
  }

  private void logProgress() {
    long now = System.currentTimeMillis();
    if (now - lastProgressLog >= PROGRESS_LOG_MILLIS) {
      lastProgressLog = now;
      log.info("catching up on {}: {}", engine.file(), progress());
    }
  }

  private String progress() {
    long size = Math.max(engine.fileSize(), engine.offset());
    ViewState s = engine.state(); // null until the next step if a failed step could not make a fresh one
    return String.format("%,d of %,d bytes (%d%%), %,d events, %,d users", engine.offset(), size,
      size == 0 ? 100 : engine.offset() * 100 / size, s == null ? 0 : s.total(), s == null ? 0 : s.groups());
  }

  private void goLive() {
    checkpointHeld = false; // caught up: this state is the file's, as far as the last one went or further
    if (engine.checkpointDue()) {
      checkpoint();
    }
    List<JsonObject> snapshots;
    try {
      snapshots = engine.goLive();
    } catch (RuntimeException | Error e) { // memory, most likely: the state is as it was, so going live is retried
      meters.failed(EngineMeters.GO_LIVE);
      failed("making the views' reset snapshots at offset " + engine.offset() + " of " + engine.file() + " failed (" + e + ")", e);
      return;
    }
    publish(snapshots);
    live = true;
    failure = null;
    failures = 0;
    vertx.eventBus().publish(Addresses.VIEWS_STARTED, new JsonObject());
    log.info("views live at offset {} of {} ({} events, {} skipped as invalid, {} users), caught up in {} ms",
      engine.offset(), engine.file(), engine.state().total(), engine.state().skipped(), engine.state().groups(),
      (System.nanoTime() - catchUpStart) / 1_000_000);
  }

  private void publish(List<JsonObject> messages) {
    EventBus bus = vertx.eventBus();
    for (JsonObject m : messages) {
      meters.published(ViewMessage.view(m), Boolean.TRUE.equals(m.getValue(ViewMessage.SNAPSHOT))); // counted before anyone sees it
      String key = ViewMessage.key(m);
      bus.publish(Addresses.view(key), published.stamp(key, m));
    }
  }

  private void checkpoint() {
    if (checkpointHeld || !engine.checkpointDue()) {
      return;
    }
    try {
      long t0 = System.nanoTime();
      engine.writeCheckpoint();
      meters.sync(engine);
      log.debug("checkpoint at offset {} written in {} ms", engine.offset(), (System.nanoTime() - t0) / 1_000_000);
    } catch (IOException | RuntimeException e) {
      log.warn("writing the engine checkpoint failed (the next one will retry): {}", e.toString());
    }
  }

  private void answerSnapshot(ViewParams.View view, Message<Object> msg) {
    ViewParams params;
    try {
      params = ViewParams.fromJson(view.viewName(), msg.body());
    } catch (IllegalArgumentException e) {
      meters.refused(true);
      msg.fail(400, e.getMessage());
      return;
    }
    if (!live) {
      msg.fail(503, catchingUp(params));
      return;
    }
    if (engine.isOpen(params)) {
      JsonObject snapshot = snapshotOrRefuse(params, false, List.of(msg));
      if (snapshot != null) {
        if (!params.isDefault()) {
          wanted.put(params, nowMillis());
        }
        msg.reply(snapshot);
      }
      return;
    }
    if (!opens.contains(params) && wanted.size() + opens.size() >= maxInstances) {
      meters.refused(false);
      msg.fail(429, "too many live view instances (" + Config.VIEWS_MAX_INSTANCES + " is " + maxInstances + "): " + params
        + " cannot be opened now; try again when others have been dropped (" + idleMillis / 1000 + " s after no one wants them)");
      return;
    }
    opens.add(params, msg);
    queueOpens();
  }

  private String catchingUp(ViewParams params) {
    return "views are catching up on " + engine.file() + ": " + progress() + (params.isDefault()
      ? "; a reset snapshot follows on " + Addresses.view(params)
      : "; ask again once " + Addresses.VIEWS_STARTED + " is published");
  }

  private void queueOpens() {
    if (!opensQueued) {
      opensQueued = true;
      context.runOnContext(v -> runOpens());
    }
  }

  // One round of opens; if some still wait, the file gets a step first (tasks on this context run in order).
  private void runOpens() {
    opensQueued = false;
    if (stopped) {
      return;
    }
    if (opens.run(OPEN_ROUND_NANOS, System::nanoTime, this::open)) {
      requestStep();
      queueOpens();
    }
  }

  private void open(ViewParams params, List<Message<Object>> askers) {
    if (!live) {
      askers.forEach(m -> m.fail(503, catchingUp(params)));
      return;
    }
    boolean fresh = !engine.isOpen(params);
    JsonObject snapshot = snapshotOrRefuse(params, fresh, askers);
    if (snapshot == null) {
      return;
    }
    wanted.put(params, nowMillis());
    if (fresh) {
      published.started(params.toString(), ViewMessage.timestamp(snapshot)); // its first batch names this snapshot
      meters.opened();
      meters.instances(liveInstances());
      log.debug("opened {} ({} live)", params, wanted.size());
    }
    askers.forEach(m -> m.reply(snapshot));
  }

  /** The set's snapshot, opening it first if {@code fresh}; null once its askers were told why that failed (500). */
  private JsonObject snapshotOrRefuse(ViewParams params, boolean fresh, List<Message<Object>> askers) {
    try {
      return engine.open(params);
    } catch (RuntimeException | Error e) { // an Error too (memory): the engine keeps nothing of it, and other sets wait
      String what = (fresh ? "opening " : "the snapshot of ") + params;
      log.warn("{} failed: {}", what, e.toString());
      meters.failed(EngineMeters.OPEN);
      askers.forEach(m -> m.fail(500, what + " failed: " + e));
      return null;
    }
  }

  private void answerWanted(Message<Object> msg) {
    if (!(msg.body() instanceof JsonObject body) || !(body.getValue(ViewMessage.KEYS) instanceof JsonArray keys)) {
      msg.fail(400, "the body must be {\"" + ViewMessage.KEYS + "\":[canonical keys]}");
      return;
    }
    long now = nowMillis();
    List<String> unknown = new ArrayList<>();
    Map<String, Long> last = new HashMap<>();
    for (Object k : keys) {
      ViewParams params;
      try {
        params = ViewParams.parse(String.valueOf(k));
      } catch (IllegalArgumentException e) {
        unknown.add(String.valueOf(k)); // no such instance; asking for it will say why
        continue;
      }
      if (!live) {
        unknown.add(String.valueOf(k));
      } else if (wanted.containsKey(params)) {
        wanted.put(params, now);
      } else if (!params.isDefault() && !opens.contains(params)) {
        unknown.add(String.valueOf(k));
        continue;
      }
      String key = params.toString();
      Long ts = live ? published.last(key) : null;
      if (ts != null) {
        last.put(key, ts);
      }
    }
    msg.reply(ViewMessage.keepAliveReply(unknown, last));
  }

  private void dropIdle() {
    long now = nowMillis();
    for (Iterator<Map.Entry<ViewParams, Long>> it = wanted.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<ViewParams, Long> e = it.next();
      if (now - e.getValue() >= idleMillis) {
        it.remove();
        engine.close(e.getKey());
        published.forget(e.getKey().toString());
        meters.dropped();
        log.debug("dropped {}: no one wanted it for {} s", e.getKey(), idleMillis / 1000);
      }
    }
    meters.instances(liveInstances());
  }

  /** Parameterised instances the engine holds (not what {@link #wanted} says it should): what the gauge shows. */
  private int liveInstances() {
    ShapedCore core = engine.core();
    return core == null ? 0 : (int) core.live().stream().filter(p -> !p.isDefault()).count();
  }

  // The engine started over: its instances are gone, and so is everything published on them.
  private void dropAll() {
    wanted.clear();
    published.clear();
    meters.instances(0);
  }

  private static long nowMillis() {
    return System.nanoTime() / 1_000_000;
  }

  private void answerStatus(Message<JsonObject> msg) {
    ViewState s = engine.state();
    String detail;
    if (!live) {
      detail = "catching up on " + engine.file() + ": " + progress();
    } else {
      detail = String.format("live: %,d events from %s up to offset %,d; %d parameterised view instances", s.total(), engine.file(),
        engine.offset(), wanted.size());
      if (!engine.fileOpen()) {
        detail += " (the file does not exist yet)";
      }
    }
    if (readProblem != null) {
      detail += "; " + readProblem;
    }
    if (failure != null) {
      detail += String.format("; %s (%d failures since the views were last live)", failure, failures);
    }
    msg.reply(new ViewsStatus(live, "embedded", detail).toJson());
  }
}
