package wikirecent.web;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import wikirecent.bus.Addresses;
import wikirecent.retry.Backoff;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewTable;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * This node's copy of one view, kept by the only event-bus consumer of {@code views.<view>} on
 * the node. It joins late as every subscriber does (docs/ARCHITECTURE.md): register, ask {@code views.<view>.snapshot},
 * hold the batches that arrive meanwhile, then apply those newer than the snapshot. If no source
 * answers yet it retries on a back-off and also takes the source's published (reset) snapshot.
 * A batch that does not fit the replica, or follows one that never arrived (its "previous"; a clustered
 * bus delivers at most once), is a divergence: the replica asks for a fresh snapshot.
 * <p>
 * A view with few followers on this node gets each batch as it came, so every node sends the
 * same sequence. With many ({@link FanOut#crowded}), where a round of writes takes milliseconds,
 * a batch waits for the next turn of the event loop and is merged with those of its view that
 * arrived meanwhile ({@link PendingDiff}): fewer, larger frames instead of falling behind.
 */
final class ViewReplica {

  private static final Logger log = LoggerFactory.getLogger(ViewReplica.class);
  private static final long REQUEST_TIMEOUT_MILLIS = 10_000;
  private static final long RETRY_MIN_MILLIS = 200;
  private static final long RETRY_MAX_MILLIS = 5_000;
  /** Jittered, so the web nodes of a cluster do not ask a restarting source in lockstep. */
  private final Backoff backoff = new Backoff(RETRY_MIN_MILLIS, RETRY_MAX_MILLIS, RETRY_MIN_MILLIS, ThreadLocalRandom.current());
  /** Batches held while a snapshot is on its way; past this, they are dropped and a newer snapshot is asked for. */
  private static final int MAX_HELD = 10_000;

  private final Vertx vertx;
  private final String view;
  private final FanOut fanOut;
  private final WebMetrics metrics;
  private final ViewTable table;
  private final List<JsonObject> held = new ArrayList<>();
  private final PendingDiff pending;
  private boolean flushScheduled;
  private MessageConsumer<Object> consumer;
  private boolean synced;
  private boolean heldOverflow;
  /** Bumped per request, so an answer to an outdated request is ignored. */
  private long requestGeneration;
  private long retryTimer = -1;
  private int failedAttempts;
  private Encoded snapshot;
  private boolean stopped;

  ViewReplica(Vertx vertx, String view, FanOut fanOut, WebMetrics metrics) {
    this.vertx = vertx;
    this.view = view;
    this.fanOut = fanOut;
    this.metrics = metrics;
    this.table = new ViewTable(view);
    this.pending = new PendingDiff(view);
  }

  /** Registers the consumer; completes once registered (the snapshot follows asynchronously). */
  Future<Void> start() {
    consumer = vertx.eventBus().consumer(Addresses.view(view), this::onMessage);
    return consumer.completion().onSuccess(v -> requestSnapshot());
  }

  void stop() {
    stopped = true;
    if (retryTimer != -1) {
      vertx.cancelTimer(retryTimer);
    }
  }

  String view() {
    return view;
  }

  boolean synced() {
    return synced;
  }

  long timestamp() {
    return table.timestamp();
  }

  /** The current state as a snapshot message, serialized once per state; null until synced (and while re-syncing). */
  Encoded snapshot() {
    if (!synced) {
      return null;
    }
    if (snapshot == null) {
      snapshot = Encoded.of(table.snapshot());
    }
    return snapshot;
  }

  private void onMessage(Message<Object> message) {
    JsonObject body = valid(message.body());
    if (body == null) {
      metrics.invalidMessage(view);
      log.warn("Ignored a malformed message on {}: {}", Addresses.view(view), abbreviate(message.body()));
      return;
    }
    metrics.batchReceived(view);
    if (ViewMessage.isSnapshot(body)) {
      // The source (re)started or reconnected upstream: its snapshot replaces everything.
      adopt(body, "reset");
      return;
    }
    if (!synced) {
      if (held.size() >= MAX_HELD) {
        held.clear();
        heldOverflow = true;
      }
      held.add(body);
      return;
    }
    // A batch at or before what the replica (or the merge under way) holds is old news.
    long known = Math.max(table.timestamp(), pending.lastTimestamp());
    if (ViewMessage.timestamp(body) <= known) {
      return;
    }
    if (ViewMessage.previous(body) > known) {
      resync("Batch " + ViewMessage.timestamp(body) + " of " + view + " follows " + ViewMessage.previous(body)
        + ", which never arrived here (at " + known + ")");
      return;
    }
    pending.add(body);
    if (flushScheduled) {
      return;
    }
    if (fanOut.crowded(view)) {
      flushScheduled = true;
      vertx.getOrCreateContext().runOnContext(v -> flush());
    } else {
      flush();
    }
  }

  /** Applies what is pending as one batch and fans it out. */
  private void flush() {
    flushScheduled = false;
    if (!synced || pending.isEmpty()) {
      return; // a reset or a re-sync took over meanwhile
    }
    long oldest = pending.firstTimestamp();
    int merged = pending.batches();
    JsonObject batch = pending.take();
    long before = table.timestamp();
    if (!table.apply(batch)) {
      resync("Batch " + ViewMessage.timestamp(batch) + " of " + view + " does not fit the replica at " + before);
      return;
    }
    snapshot = null;
    metrics.lag(System.currentTimeMillis() - oldest);
    metrics.batchesMerged(merged);
    if (!batch.getJsonArray(ViewMessage.INSERTED).isEmpty() || !batch.getJsonArray(ViewMessage.DELETED).isEmpty()) {
      fanOut.batch(Encoded.of(batch));
    }
  }

  /** The replica missed something: stop sending batches and take a fresh snapshot (clients get it too). */
  private void resync(String why) {
    metrics.divergence(view);
    log.warn("{}: asking for a fresh snapshot", why);
    synced = false;
    requestSnapshot();
  }

  private void requestSnapshot() {
    if (stopped) {
      return;
    }
    long generation = ++requestGeneration;
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(REQUEST_TIMEOUT_MILLIS);
    vertx.eventBus().request(Addresses.snapshot(view), null, options).onComplete(ar -> {
      if (generation != requestGeneration || synced || stopped) {
        return; // a reset snapshot got here first, or a newer request is under way
      }
      if (ar.failed()) {
        retryLater(ar.cause());
        return;
      }
      JsonObject body = valid(ar.result().body());
      if (body == null || !ViewMessage.isSnapshot(body)) {
        metrics.invalidMessage(view);
        retryLater(new IllegalStateException("the answer is not a snapshot of " + view));
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

  private void retryLater(Throwable cause) {
    failedAttempts++;
    String why = cause instanceof ReplyException && ((ReplyException) cause).failureType() != null
      ? ((ReplyException) cause).failureType() + ": " + cause.getMessage()
      : cause.toString();
    if (failedAttempts == 1) {
      log.info("No snapshot of {} yet ({}); retrying, and waiting for the source's own snapshot", view, why);
    } else {
      log.debug("Snapshot of {} still unavailable after {} attempts ({})", view, failedAttempts, why);
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
    if (retryTimer != -1) {
      vertx.cancelTimer(retryTimer);
      retryTimer = -1;
    }
    table.apply(snap);
    pending.clear(); // what was merged and not yet sent is older than the snapshot, or from before a reset
    snapshot = null;
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
          resync("Held batch " + ts + " of " + view + " does not follow the snapshot and the batches before it");
          return;
        }
        replayed++;
      }
    }
    snapshot = null;
    log.info("Replica of {} {} at {} ({} rows, {} held batches applied)", view, wasSynced ? "reset" : why, table.timestamp(), table.size(), replayed);
    fanOut.snapshotToAll(view, this::snapshot, wasSynced ? "reset" : "synced");
  }

  /** The message if it has the one message shape for this view, else null. */
  private JsonObject valid(Object body) {
    if (!(body instanceof JsonObject)) {
      return null;
    }
    JsonObject m = (JsonObject) body;
    if (!view.equals(m.getValue(ViewMessage.VIEW))
      || !(m.getValue(ViewMessage.TIMESTAMP) instanceof Number)
      || !(m.getValue(ViewMessage.INSERTED) instanceof JsonArray)
      || !(m.getValue(ViewMessage.DELETED) instanceof JsonArray)
      || m.containsKey(ViewMessage.PREVIOUS) && !(m.getValue(ViewMessage.PREVIOUS) instanceof Number)) {
      return null;
    }
    for (String rows : new String[]{ViewMessage.INSERTED, ViewMessage.DELETED}) {
      for (Object row : m.getJsonArray(rows)) {
        if (!(row instanceof JsonArray)) {
          return null;
        }
      }
    }
    return m;
  }

  private static String abbreviate(Object body) {
    String s = String.valueOf(body);
    return s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }
}
