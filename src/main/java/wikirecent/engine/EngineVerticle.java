package wikirecent.engine;

import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import wikirecent.bus.Addresses;
import wikirecent.config.Config;
import wikirecent.bus.LastPublished;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.Views;
import wikirecent.bus.ViewsStatus;
import wikirecent.status.Metrics;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The embedded view source: follows {@code <data.dir>/recentchanges} with an {@link Engine} and
 * publishes each batch on {@code views.<view>}. Deployed as a WORKER verticle: reading the file
 * and folding events block, and all of it runs serially on this verticle's context.
 * <p>
 * Startup: load the checkpoint, catch up to the end of the file without publishing, then publish a
 * reset snapshot of every view and go live. A step runs at once when ingest's append hint arrives
 * (hints during a step fold into one more step) and every {@code engine.pollMillis} otherwise.
 * While catching up, snapshot requests fail with code 503; subscribers get the reset snapshot on
 * {@code views.<view>} as soon as the engine is live.
 */
public class EngineVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(EngineVerticle.class);
  private static final long PROGRESS_LOG_MILLIS = 5_000;
  /** The checkpoint's name in {@code data.dir}. */
  public static final String CHECKPOINT_FILE = "engine.checkpoint";

  private final LastPublished published = new LastPublished();
  private Engine engine;
  private EngineMeters meters;
  private volatile boolean live; // also read by the up gauge, from the scraping thread
  private boolean stepQueued;
  private boolean stopped;
  private String readProblem;
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
    if (pollMillis < 1 || checkpointMillis < 1) {
      return Future.failedFuture(Config.ENGINE_POLL_MILLIS + " and " + Config.ENGINE_CHECKPOINT_MILLIS
        + " must be at least 1 ms, not " + pollMillis + " and " + checkpointMillis);
    }
    Path file = config.recentChangesFile();
    engine = new Engine(file, file.resolveSibling(CHECKPOINT_FILE),
      config.integer(Config.ENGINE_BATCH_MAX_BYTES), System::currentTimeMillis);
    Engine.Restore restore = engine.restore();
    if (restore.rejected()) {
      log.warn(restore.message());
    } else {
      log.info(restore.message());
    }
    meters = new EngineMeters(Metrics.registry(vertx), engine, () -> live);
    EventBus bus = vertx.eventBus();
    List<Future<Void>> registered = new ArrayList<>();
    for (Views view : Views.values()) {
      registered.add(bus.<JsonObject>consumer(Addresses.snapshot(view.viewName()), msg -> answerSnapshot(view, msg)).completion());
    }
    registered.add(bus.<JsonObject>consumer(Addresses.STATUS_VIEWS, this::answerStatus).completion());
    registered.add(bus.consumer(Addresses.FILE_APPENDED, msg -> requestStep()).completion());
    vertx.setPeriodic(pollMillis, id -> requestStep());
    vertx.setPeriodic(checkpointMillis, id -> checkpoint());
    beginCatchUp();
    return Future.all(registered).onSuccess(x -> requestStep());
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    checkpoint();
    engine.close();
    meters.close();
    return Future.succeededFuture();
  }

  // Coalesces: a step already queued absorbs every hint that arrives before it runs.
  private void requestStep() {
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
    try {
      step = engine.step(live);
      readProblem = null;
    } catch (IOException | RuntimeException e) {
      String problem = "reading " + engine.file() + " failed: " + e;
      if (!problem.equals(readProblem)) {
        log.warn("{}; retrying on the next append or poll", problem);
      }
      readProblem = problem;
      return;
    }
    meters.sync(engine);
    if (step.reset() != null && live) {
      live = false; // the reset state is re-read without publishing, then announced with snapshots
      beginCatchUp();
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
    return String.format("%,d of %,d bytes (%d%%), %,d events, %,d users", engine.offset(), size,
      size == 0 ? 100 : engine.offset() * 100 / size, engine.state().total(), engine.state().groups());
  }

  private void goLive() {
    if (engine.checkpointDue()) {
      checkpoint();
    }
    publish(engine.goLive());
    live = true;
    log.info("views live at offset {} of {} ({} events, {} skipped as invalid, {} users), caught up in {} ms",
      engine.offset(), engine.file(), engine.state().total(), engine.state().skipped(), engine.state().groups(),
      (System.nanoTime() - catchUpStart) / 1_000_000);
  }

  private void publish(List<JsonObject> messages) {
    EventBus bus = vertx.eventBus();
    for (JsonObject m : messages) {
      meters.published(ViewMessage.view(m), Boolean.TRUE.equals(m.getValue(ViewMessage.SNAPSHOT))); // counted before anyone sees it
      bus.publish(Addresses.view(ViewMessage.view(m)), published.stamp(m));
    }
  }

  private void checkpoint() {
    if (!engine.checkpointDue()) {
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

  private void answerSnapshot(Views view, Message<JsonObject> msg) {
    if (!live) {
      msg.fail(503, "views are catching up on " + engine.file() + ": " + progress()
        + "; a reset snapshot follows on " + Addresses.view(view.viewName()));
      return;
    }
    msg.reply(engine.snapshot(view));
  }

  private void answerStatus(Message<JsonObject> msg) {
    ViewState s = engine.state();
    String detail;
    if (!live) {
      detail = "catching up on " + engine.file() + ": " + progress();
    } else {
      detail = String.format("live: %,d events from %s up to offset %,d", s.total(), engine.file(), engine.offset());
      if (!engine.fileOpen()) {
        detail += " (the file does not exist yet)";
      }
    }
    if (readProblem != null) {
      detail += "; " + readProblem;
    }
    msg.reply(new ViewsStatus(live, "embedded", detail).toJson());
  }
}
