package wikirecent.tail;

import io.micrometer.core.instrument.Counter;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewTable;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Answers one set's snapshot requests (a web node syncing its replica) with the set's rows in the view's order. The
 * first sort is O(n log n) (later ones merge the rows changed since, see {@link ViewTable.Captured#snapshot}), and
 * 200,000 users take about a quarter of a second, which on the tail's event loop would hold every other set's
 * FETCHes. So it runs on the builder threads, at most once per change of the rows: requests that come
 * while it runs wait for it, and later ones get the same rows until a batch changes them (progress alone only moves
 * the answer's timestamp on). The build reads a captured state ({@link ViewTable#capture}) while the rows go on
 * changing. An answer is never older than the state its request was asked in (the asker may have subscribed after
 * the batches before it, so it could not go on from an older one): a request that comes after a change waits for
 * the build after the one running. Batches published meanwhile follow on the bus; the web node's replica applies
 * those newer than its answer. Event-loop only, like {@link ViewTail}.
 */
final class SnapshotAnswers {

  private final ViewTable replica;
  private final UnaryOperator<JsonObject> finish;
  private final WorkerExecutor builders;
  private final Counter builds;
  private final List<Message<Object>> asked = new ArrayList<>(); // answered by the running build
  private final List<Message<Object>> later = new ArrayList<>(); // came after a change since it captured: the next build
  // The rows in order at latestAt while no batch changed them since (an ordered copy of a large view is not kept
  // past its use), shared by every reply (the bus copies per receiver).
  private JsonObject latest;
  private long latestAt = -1;
  private long changedAt = -1;
  private long generation; // a reset or a stop makes a running build's result stale
  private boolean building;
  private long buildingAt; // the timestamp of the state the running build captured

  /** {@code finish} completes a snapshot message (the set's params); it runs on a builder thread. */
  SnapshotAnswers(ViewTable replica, UnaryOperator<JsonObject> finish, WorkerExecutor builders, Counter builds) {
    this.replica = replica;
    this.finish = finish;
    this.builders = builders;
    this.builds = builds;
  }

  /** A batch changed the replica's rows at {@code timestamp}: answers built before it are out of date. */
  void changed(long timestamp) {
    changedAt = timestamp;
    latest = null;
  }

  /**
   * The replica was replaced by a session's snapshot, already in order (it is published as well): it answers every
   * request until the next change, those waiting first.
   */
  void reset(JsonObject ordered, long timestamp) {
    generation++;
    building = false;
    latest = ordered;
    latestAt = timestamp;
    changedAt = timestamp;
    asked.addAll(later);
    later.clear();
    List<Message<Object>> ready = new ArrayList<>(asked);
    asked.clear();
    reply(ready, latest);
  }

  /** Answers with the latest state, at once if it was built since the last change, else once built. The replica has a snapshot. */
  void ask(Message<Object> request) {
    if (latest != null) {
      reply(List.of(request), current());
      return;
    }
    if (!building) {
      asked.add(request);
      build();
    } else if (buildingAt >= changedAt) {
      asked.add(request);
    } else {
      later.add(request);
    }
  }

  /** Nothing more will be answered: every waiting request gets 503. */
  void close(String why) {
    generation++;
    building = false;
    failAll(503, why);
  }

  private void build() {
    building = true;
    builds.increment();
    long started = generation;
    ViewTable.Captured state = replica.capture();
    buildingAt = state.timestamp();
    builders.executeBlocking(() -> finish.apply(state.snapshot()), false).onComplete(ar -> {
      replica.release(state);
      if (started != generation) {
        return; // a reset answered the requests, or the set was closed
      }
      building = false;
      if (ar.failed()) {
        failAll(500, "building the snapshot failed: " + ar.cause());
        return;
      }
      JsonObject built = ar.result();
      if (state.timestamp() >= changedAt) {
        latest = built;
        latestAt = state.timestamp();
      }
      List<Message<Object>> ready = new ArrayList<>(asked);
      asked.clear();
      reply(ready, latest != null ? current() : built);
      if (!later.isEmpty()) {
        asked.addAll(later);
        later.clear();
        build();
      }
    });
  }

  private void failAll(int code, String why) {
    asked.addAll(later);
    later.clear();
    List<Message<Object>> failed = new ArrayList<>(asked);
    asked.clear();
    failed.forEach(r -> r.fail(code, why));
  }

  // On a builder thread too: sending a reply copies the whole message for a receiver in this process (the bus's JSON
  // codec), O(n) on the sending thread.
  private void reply(List<Message<Object>> requests, JsonObject answer) {
    if (requests.isEmpty()) {
      return;
    }
    builders.executeBlocking(() -> {
      requests.forEach(r -> r.reply(answer));
      return null;
    }, false).onFailure(e -> requests.forEach(r -> r.fail(503, "the snapshot could not be sent: " + e.getMessage())));
  }

  // Progress after the latest build moved the replica's time on, not its rows: the same rows, at that time. A new
  // message around the same rows, O(1) (each receiver gets its own copy from the bus anyway).
  private JsonObject current() {
    long now = replica.timestamp();
    if (now > latestAt) {
      return new JsonObject(new LinkedHashMap<>(latest.getMap())).put(ViewMessage.TIMESTAMP, now);
    }
    return latest;
  }
}
