package wikirecent.engine;

import wikirecent.bus.ViewParams;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;

/**
 * Parameter sets waiting to be opened, first come first served, with everyone who asked for each: a
 * set asked for again while it waits is opened once and answers all. {@link #run} opens sets until a
 * time budget is spent, so the engine's thread can follow the file between rounds: one open of a 24 h
 * instance takes tens of ms, and a burst of them must not hold batches back for seconds.
 */
final class OpenQueue<W> {

  private final LinkedHashMap<ViewParams, List<W>> waiting = new LinkedHashMap<>();

  /** Queues a request; true if the set was not waiting yet. */
  boolean add(ViewParams params, W waiter) {
    List<W> list = waiting.get(params);
    boolean fresh = list == null;
    if (fresh) {
      list = new ArrayList<>(1);
      waiting.put(params, list);
    }
    list.add(waiter);
    return fresh;
  }

  boolean contains(ViewParams params) {
    return waiting.containsKey(params);
  }

  /** Sets waiting. */
  int size() {
    return waiting.size();
  }

  boolean isEmpty() {
    return waiting.isEmpty();
  }

  /**
   * Opens waiting sets in the order they came, at least one, and more while less than {@code budgetNanos}
   * has passed since the start ({@code clock} in ns). Returns true if some are still waiting.
   */
  boolean run(long budgetNanos, LongSupplier clock, BiConsumer<ViewParams, List<W>> open) {
    long start = clock.getAsLong();
    for (int n = waiting.size(); n > 0; n--) { // only those there at the start: the round ends even if opening queues more
      Iterator<Map.Entry<ViewParams, List<W>>> it = waiting.entrySet().iterator();
      Map.Entry<ViewParams, List<W>> next = it.next();
      it.remove(); // before opening: a request for it during the open queues it anew
      open.accept(next.getKey(), next.getValue());
      if (clock.getAsLong() - start >= budgetNanos) {
        break;
      }
    }
    return !waiting.isEmpty();
  }

  /** Takes every waiting set out (to refuse them all). */
  Map<ViewParams, List<W>> drain() {
    Map<ViewParams, List<W>> all = new LinkedHashMap<>(waiting);
    waiting.clear();
    return all;
  }
}
