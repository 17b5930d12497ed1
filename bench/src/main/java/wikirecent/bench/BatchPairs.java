package wikirecent.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.NavigableSet;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * The (batch, client) pairs of one view instance's frames, for timing every batch a client is delivered, not only the
 * newest of each frame. A crowded node sends a client that lacks several batches one frame merging them, stamped with
 * the newest one's timestamp only: that frame delivers every batch after the state the client held (its previous
 * frame's or snapshot's timestamp) up to its own. The engine stamps batches with strictly increasing timestamps, so a
 * batch is known by its timestamp, learnt wherever it was the newest of a frame: of any client of the instance, or of any
 * instance every engine batch changes alike (the counter and user_edits). A batch that was never the newest of any
 * frame is never learnt and its pairs are not timed: {@link Expansion#unaccounted} bounds them where frames say how many
 * batches they could hold at most (the counter's events).
 * <p>
 * Thread-safe: clients on several event loops learn and add frames; {@link #expand(Sink)} runs once they are done.
 */
final class BatchPairs {

  /** One timed pair: a batch's timestamp (ms, the engine's clock) and the receipt of the frame that delivered it. */
  @FunctionalInterface
  interface Sink {
    void pair(long batchTimestamp, long receipt);
  }

  /**
   * What {@link #expand(List, Sink)} found: {@code pairs} timed, over {@code frames} frames; {@code unaccounted}: over the frames
   * that say how many batches they could hold at most, that bound minus the batches timed in each, summed. It bounds the
   * pairs of batches never learnt in those frames from above (0: none), exactly when every batch holds one event.
   */
  record Expansion(long frames, long pairs, long unaccounted) {
  }

  private final NavigableSet<Long> batches;
  private final Queue<long[]> frames = new ConcurrentLinkedQueue<>();

  BatchPairs() {
    this(new ConcurrentSkipListSet<>());
  }

  private BatchPairs(NavigableSet<Long> batches) {
    this.batches = batches;
  }

  /** Frames of another client (or another view changed by the same engine batches) timed against the same batches. */
  BatchPairs sharingBatches() {
    return new BatchPairs(batches);
  }

  /** A batch's timestamp: the newest batch of a frame some client received (a snapshot is a state, not a batch). */
  void learn(long timestamp) {
    batches.add(timestamp);
  }

  /** Batches learnt so far. */
  int learnt() {
    return batches.size();
  }

  /**
   * A frame a client received at {@code receipt}: it held the state at timestamp {@code from} (its previous frame's or
   * snapshot's) and now holds {@code to} (the frame's timestamp, its newest batch). {@code atMost}: how many batches
   * it could hold at most (the counter's events in it), or -1 if unknown. Kept for {@link #expand(Sink)}; learns {@code to}.
   */
  void frame(long from, long to, long receipt, long atMost) {
    learn(to);
    frames.add(new long[] {from, to, receipt, atMost});
  }

  /**
   * A batch frame at {@code timestamp} that a client holding the state at {@code held} (-1: none yet, as a SockJS
   * session whose batch came before its snapshot) received: kept as a frame from {@code held} (or, with no state, as
   * the frame's own batch alone); a frame at or before {@code held} delivers nothing new and is not kept.
   */
  void received(long held, long timestamp, long receipt, long atMost) {
    if (timestamp > held) {
      frame(held < 0 ? timestamp - 1 : held, timestamp, receipt, atMost);
    }
  }

  /** Drops the frames kept so far (the batches learnt stay). */
  void dropFrames() {
    frames.clear();
  }

  /** The frames kept so far, no longer kept: to {@link #expand(List, Sink) expand} a little later, once later frames taught their batches. */
  List<long[]> takeFrames() {
    List<long[]> taken = new ArrayList<>();
    for (long[] f; (f = frames.poll()) != null; ) {
      taken.add(f);
    }
    return taken;
  }

  /** {@link #expand(List, Sink)} of the frames kept so far, which are then dropped. */
  Expansion expand(Sink sink) {
    return expand(takeFrames(), sink);
  }

  /**
   * Frames expanded into their batches: for every learnt batch after a frame's {@code from} up to its {@code to},
   * oldest first, {@code sink.pair(batch, receipt)}.
   */
  Expansion expand(List<long[]> taken, Sink sink) {
    long pairs = 0;
    long unaccounted = 0;
    for (long[] f : taken) {
      long inFrame = 0;
      if (f[0] < f[1]) {
        for (long batch : batches.subSet(f[0], false, f[1], true)) {
          sink.pair(batch, f[2]);
          inFrame++;
        }
      }
      pairs += inFrame;
      if (f[3] >= 0) {
        unaccounted += Math.max(0, f[3] - inFrame);
      }
    }
    return new Expansion(taken.size(), pairs, unaccounted);
  }
}
