package wikirecent.tail;

import wikirecent.tail.FakeMaterialize.Drop;
import wikirecent.tail.FakeMaterialize.Empty;
import wikirecent.tail.FakeMaterialize.Error;
import wikirecent.tail.FakeMaterialize.Fetch;
import wikirecent.tail.FakeMaterialize.Rows;
import wikirecent.tail.FakeMaterialize.Stall;
import wikirecent.tail.FakeMaterialize.TailRow;

import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/** A {@link FakeMaterialize.TailSource} that plays queued answers per view, across sessions, in order. */
final class ScriptedTail implements FakeMaterialize.TailSource {

  private final Map<String, Queue<Fetch>> queues = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> declares = new ConcurrentHashMap<>();

  ScriptedTail rows(String view, TailRow... rows) {
    return add(view, new Rows(List.of(rows)));
  }

  ScriptedTail empty(String view) {
    return add(view, new Empty());
  }

  ScriptedTail drop(String view, TailRow... partial) {
    return add(view, new Drop(List.of(partial)));
  }

  ScriptedTail error(String view, String sqlState, String message) {
    return add(view, new Error(sqlState, message));
  }

  ScriptedTail stall(String view) {
    return add(view, new Stall());
  }

  ScriptedTail add(String view, Fetch fetch) {
    queues.computeIfAbsent(view, v -> new ConcurrentLinkedQueue<>()).add(fetch);
    return this;
  }

  /** How many TAILs were declared on {@code view}. */
  int declares(String view) {
    AtomicInteger n = declares.get(view);
    return n == null ? 0 : n.get();
  }

  boolean drained(String view) {
    Queue<Fetch> q = queues.get(view);
    return q == null || q.isEmpty();
  }

  @Override
  public void declared(String view) {
    declares.computeIfAbsent(view, v -> new AtomicInteger()).incrementAndGet();
  }

  @Override
  public Fetch next(String view) {
    Queue<Fetch> q = queues.get(view);
    return q == null ? null : q.poll();
  }
}
