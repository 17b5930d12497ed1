package wikirecent.web;

import io.vertx.core.json.JsonObject;
import wikirecent.bus.ViewMessage;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The batches of one crowded instance that some follower has not been sent. A follower at the state before the
 * first batch, or at any batch's timestamp, gets one frame merging all that came after ({@link PendingDiff}),
 * shared by the followers at the same state; one at no state the batches start from (it has none yet, or missed
 * more than is held here) gets the current snapshot.
 */
final class PendingBatches {
  final String key;
  /** The timestamp of the state the first batch applies to. */
  long base;
  /** What every follower visited in the current round holds at least; {@code base} for batches newer than the round. */
  long roundFrom;
  final List<Encoded> batches = new ArrayList<>();
  final List<JsonObject> bodies = new ArrayList<>();
  /** Frames to the newest batch, by the state they start from; cleared when a batch arrives. */
  final Map<Long, Encoded> frames = new HashMap<>();

  private final Function<String, Encoded> snapshots;
  private final WebMetrics metrics;

  /** @param snapshots the instance's current snapshot, or null while it is built (as {@link FanOut} is given it) */
  PendingBatches(String key, long base, Function<String, Encoded> snapshots, WebMetrics metrics) {
    this.key = key;
    this.snapshots = snapshots;
    this.metrics = metrics;
    this.base = base;
    this.roundFrom = base;
  }

  long latest() {
    return batches.isEmpty() ? base : batches.get(batches.size() - 1).timestamp;
  }

  void add(Encoded batch, JsonObject body) {
    batches.add(batch);
    bodies.add(body);
    frames.clear();
  }

  /** What a follower at {@code at} lacks, or null if nothing (or no snapshot yet). */
  Encoded frameFor(Long at) {
    if (at != null && at >= latest()) {
      return null;
    }
    if (at == null || at < base) {
      Encoded snapshot = snapshots.apply(key);
      if (snapshot != null) {
        metrics.snapshotResent("behind");
      }
      return snapshot;
    }
    return frames.computeIfAbsent(at, this::merge);
  }

  private Encoded merge(long from) {
    int first = 0;
    while (first < batches.size() && batches.get(first).timestamp <= from) {
      first++;
    }
    metrics.lag(System.currentTimeMillis() - batches.get(first).timestamp);
    metrics.batchesMerged(batches.size() - first);
    if (first == batches.size() - 1) {
      return batches.get(first);
    }
    PendingDiff diff = new PendingDiff(ViewMessage.view(bodies.get(first)), bodies.get(first).getJsonObject(ViewMessage.PARAMS));
    for (int i = first; i < bodies.size(); i++) {
      diff.add(bodies.get(i));
    }
    return Encoded.of(key, diff.take());
  }

  void trimTo(long ts) {
    int drop = 0;
    while (drop < batches.size() && batches.get(drop).timestamp <= ts) {
      drop++;
    }
    batches.subList(0, drop).clear();
    bodies.subList(0, drop).clear();
    base = ts;
  }
}
