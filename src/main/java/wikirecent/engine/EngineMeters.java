package wikirecent.engine;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import wikirecent.bus.ViewParams;
import wikirecent.status.Meters;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * The embedded view source's meters ({@code wikirecent_views_*}). The engine keeps its own totals, which a
 * reset of the file starts again; {@link #sync} turns what changed since the last call into counter
 * increments, on the engine's thread, so a scrape from another thread reads only meters.
 */
final class EngineMeters {

  /** The {@code kind} of {@code wikirecent_views_failures_total}. */
  static final String STEP = "step";
  static final String GO_LIVE = "go_live";
  static final String OPEN = "open";

  private final Meters meters;
  private final Counter applied;
  private final Counter skipped;
  private final Counter readBytes;
  private final Counter checkpoints;
  private final Counter resets;
  private final Map<String, Counter> failures = new HashMap<>();
  private final Map<String, Counter> batches = new HashMap<>();
  private final Map<String, Counter> snapshots = new HashMap<>();
  private final Counter opened;
  private final Counter dropped;
  private final Counter refusedTooMany;
  private final Counter refusedBadParams;
  private final AtomicLong instances = new AtomicLong();
  private final AtomicLong windowEvents = new AtomicLong();
  private final AtomicLong wikis = new AtomicLong();
  private final AtomicLong users = new AtomicLong();
  private final AtomicLong offset = new AtomicLong();
  private final AtomicLong size = new AtomicLong();

  // The engine's totals at the last sync.
  private long seenTotal;
  private long seenSkipped;
  private long seenBytesRead;
  private long seenCheckpoints;
  private long seenResets;
  private long seenFailedSteps;

  /** Created after the checkpoint is loaded: the events it holds were applied by an earlier run, not this one. */
  EngineMeters(MeterRegistry registry, Engine engine, BooleanSupplier live) {
    meters = new Meters(registry);
    applied = meters.counter("wikirecent.views.events.applied", "Events this process folded into the views (a re-read after a file reset counts again)");
    skipped = meters.counter("wikirecent.views.events.skipped", "Records of the data file whose data: line PostgreSQL would refuse as jsonb (skipped by the views)");
    readBytes = meters.counter("wikirecent.views.read.bytes", "Bytes of the data file read");
    checkpoints = meters.counter("wikirecent.views.checkpoints.written", "Engine checkpoints written");
    resets = meters.counter("wikirecent.views.file.resets", "Times the data file shrank, vanished, was replaced or rewritten, and the views started over");
    String failedHelp = "Failures the view source recovers from: a step that failed part-way (the views start over), going live, opening a parameter set";
    for (String kind : new String[] {STEP, GO_LIVE, OPEN}) {
      failures.put(kind, meters.counter("wikirecent.views.failures", failedHelp, "kind", kind));
    }
    for (ViewParams.View v : ViewParams.View.values()) {
      String view = v.viewName();
      batches.put(view, meters.counter("wikirecent.views.batches.published", "Batches published on the event bus", "view", view));
      snapshots.put(view, meters.counter("wikirecent.views.snapshots.published", "Reset snapshots published on the event bus (when the source goes live, and whenever it starts over)", "view", view));
    }
    opened = meters.counter("wikirecent.views.instances.opened", "Parameterised view instances opened on request");
    dropped = meters.counter("wikirecent.views.instances.dropped", "Parameterised view instances dropped because no web node wanted them any more");
    String refusedHelp = "Snapshot requests refused: bad parameters (400) or too many live instances (429)";
    refusedBadParams = meters.counter("wikirecent.views.requests.refused", refusedHelp, "reason", "bad_params");
    refusedTooMany = meters.counter("wikirecent.views.requests.refused", refusedHelp, "reason", "too_many_instances");
    meters.gauge("wikirecent.views.instances", "Live parameterised view instances (the default sets not counted)", instances, AtomicLong::get);
    meters.gauge("wikirecent.views.window.events", "Events kept for the windows (the last 24 h of event time)", windowEvents, AtomicLong::get);
    meters.gauge("wikirecent.views.wikis", "Distinct wikis seen (NULL included)", wikis, AtomicLong::get);
    meters.gauge("wikirecent.views.up", "1 when the view source is live (caught up and publishing)", live, l -> l.getAsBoolean() ? 1 : 0);
    meters.gauge("wikirecent.views.users", "Distinct users in the views", users, AtomicLong::get);
    meters.gauge("wikirecent.views.file.offset.bytes", "Bytes of the data file the views reflect", offset, AtomicLong::get);
    meters.gauge("wikirecent.views.file.size.bytes", "The data file's size when last looked at", size, AtomicLong::get);
    seenTotal = engine.state().total();
    seenSkipped = engine.state().skipped();
    seenBytesRead = engine.bytesRead();
    seenCheckpoints = engine.checkpointWrites();
    seenResets = engine.resets();
    seenFailedSteps = engine.failedSteps();
    sync(engine);
  }

  /** After a step or a checkpoint, on the engine's thread. */
  void sync(Engine engine) {
    if (engine.resets() != seenResets || engine.failedSteps() != seenFailedSteps) {
      resets.increment(engine.resets() - seenResets);
      failures.get(STEP).increment(engine.failedSteps() - seenFailedSteps);
      seenResets = engine.resets();
      seenFailedSteps = engine.failedSteps();
      seenTotal = 0; // a new state, counted from nothing
      seenSkipped = 0;
    }
    ViewState s = engine.state();
    if (s == null || engine.core() == null) {
      return; // a failed step could not make a fresh state: the next step makes it, and the next sync counts it
    }
    applied.increment(s.total() - seenTotal);
    skipped.increment(s.skipped() - seenSkipped);
    readBytes.increment(engine.bytesRead() - seenBytesRead);
    checkpoints.increment(engine.checkpointWrites() - seenCheckpoints);
    seenTotal = s.total();
    seenSkipped = s.skipped();
    seenBytesRead = engine.bytesRead();
    seenCheckpoints = engine.checkpointWrites();
    users.set(s.groups());
    windowEvents.set(engine.core().windowEvents());
    wikis.set(engine.core().wikis());
    offset.set(engine.offset());
    size.set(engine.fileSize());
  }

  void published(String view, boolean snapshot) {
    Counter c = (snapshot ? snapshots : batches).get(view);
    if (c != null) {
      c.increment();
    }
  }

  /** A failure the verticle recovered from other than a step's ({@link #GO_LIVE}, {@link #OPEN}). */
  void failed(String kind) {
    failures.get(kind).increment();
  }

  void instances(int live) {
    instances.set(live);
  }

  void opened() {
    opened.increment();
  }

  void dropped() {
    dropped.increment();
  }

  void refused(boolean badParams) {
    (badParams ? refusedBadParams : refusedTooMany).increment();
  }

  void close() {
    meters.close();
  }
}
