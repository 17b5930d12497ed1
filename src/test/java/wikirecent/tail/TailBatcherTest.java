package wikirecent.tail;

import io.vertx.core.json.JsonArray;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TailBatcherTest {

  /** A TAIL row as the batcher gets it; diff null on a progress row. */
  private record Update(long ts, Long diff, JsonArray row) {
  }

  /**
   * For random histories of a view (a multiset of rows per timestamp), TAIL output is made the
   * way Materialize may send it: sometimes a progress row at the snapshot's time first (the AS OF),
   * the snapshot and every step unconsolidated (retract old, insert new, plus +k/-k noise on
   * unrelated rows), progress rows sometimes between timestamps, sometimes repeated, sometimes
   * missing. The batcher must give back exactly the history.
   */
  /** A sample the property once failed on: one empty step, its only progress rows at the next step's time. */
  @Test
  void recoversAnEmptyHistoryWhoseProgressRowsAllCameAtOneTime() {
    recoversTheHistoryFromUnconsolidatedTailOutput(List.of(List.of()), 25465L);
  }

  @Property(tries = 300)
  void recoversTheHistoryFromUnconsolidatedTailOutput(
    @ForAll @Size(min = 1, max = 8) List<@Size(max = 6) List<@IntRange(max = 5) Integer>> history,
    @ForAll long seed) {
    Random random = new Random(seed);
    long t0 = 1_000 + random.nextInt(1000);
    List<Update> tail = new ArrayList<>();
    if (random.nextBoolean()) {
      tail.add(new Update(t0, null, null)); // "nothing before t0": the snapshot's rows at t0 are still to come
    }
    List<Long> times = new ArrayList<>();
    Map<List<Object>, Long> previous = new HashMap<>();
    long ts = t0;
    for (int step = 0; step < history.size(); step++) {
      Map<List<Object>, Long> state = multiset(history.get(step));
      times.add(ts);
      List<Update> updates = new ArrayList<>();
      long at = ts;
      diff(previous, state).forEach((row, n) -> updates.addAll(split(at, row, n, random)));
      for (int k = random.nextInt(3); k > 0; k--) { // noise: a row inserted and retracted at the same time
        List<Object> row = row(random.nextInt(6));
        long n = 1 + random.nextInt(3);
        updates.add(new Update(ts, n, json(row)));
        updates.add(new Update(ts, -n, json(row)));
      }
      Collections.shuffle(updates, random);
      tail.addAll(updates);
      long next = ts + 1 + random.nextInt(1000);
      if (step == 0 || random.nextBoolean()) {
        // a progress row somewhere in (ts, next]; sometimes repeated
        long p = ts + 1 + random.nextInt((int) (next - ts));
        tail.add(new Update(p, null, null));
        if (random.nextBoolean()) {
          tail.add(new Update(p, null, null));
        }
      }
      previous = state;
      ts = next;
    }
    // Closes the last one: past every progress row, which may already be at ts (with one step and no row at t0, a
    // progress row alone at ts would leave the snapshot open: nothing says when the TAIL began).
    tail.add(new Update(ts + 1, null, null));

    List<TailBatcher.Closed> out = new ArrayList<>();
    TailBatcher batcher = new TailBatcher(out::add);
    for (Update u : tail) {
      if (u.diff() == null) {
        batcher.progress(u.ts());
      } else {
        batcher.data(u.ts(), u.diff(), u.row());
      }
    }

    assertThat(out).isNotEmpty();
    assertThat(out.get(0).kind()).isEqualTo(TailBatcher.Kind.SNAPSHOT);
    long snapshotTime = out.get(0).timestamp();
    assertThat(snapshotTime).isGreaterThanOrEqualTo(t0);
    if (tail.get(0).ts() == t0) {
      // A first row at t0 (data, or progress announcing it): the next row past t0 closes the snapshot.
      assertThat(snapshotTime).isLessThan(times.size() > 1 ? times.get(1) : Long.MAX_VALUE);
    } // else an empty first step sent only a later progress row: nothing says when the TAIL began, so
      // the snapshot is the first timestamp known complete after that row (it may take in the next step)
    Map<List<Object>, Long> replica = new HashMap<>();
    List<Long> batchTimes = new ArrayList<>();
    long last = Long.MIN_VALUE;
    for (TailBatcher.Closed c : out) {
      if (c.kind() == TailBatcher.Kind.PROGRESS) {
        assertThat(c.timestamp()).isGreaterThan(last);
        assertThat(c.inserted()).isEmpty();
        assertThat(c.deleted()).isEmpty();
        last = c.timestamp();
        continue;
      }
      assertThat(c.timestamp()).isGreaterThan(last);
      last = c.timestamp();
      if (c.kind() == TailBatcher.Kind.BATCH) {
        batchTimes.add(c.timestamp());
        assertThat(c.inserted().isEmpty() && c.deleted().isEmpty()).as("empty batches are not sent").isFalse();
        for (Object r : c.inserted()) {
          assertThat(c.deleted().contains(r)).as("a row both inserted and deleted").isFalse();
        }
      } else {
        assertThat(c.deleted()).isEmpty();
      }
      for (Object r : c.deleted()) {
        replica.merge(key((JsonArray) r), -1L, Long::sum);
      }
      for (Object r : c.inserted()) {
        replica.merge(key((JsonArray) r), 1L, Long::sum);
      }
      replica.values().removeIf(n -> n == 0);
      assertThat(replica).as("state at %d", c.timestamp()).isEqualTo(stateAt(history, times, c.timestamp()));
    }
    // A batch for exactly the timestamps after the snapshot where the view changed.
    List<Long> changed = new ArrayList<>();
    for (int i = 1; i < history.size(); i++) {
      if (times.get(i) > snapshotTime && !multiset(history.get(i)).equals(multiset(history.get(i - 1)))) {
        changed.add(times.get(i));
      }
    }
    assertThat(batchTimes).isEqualTo(changed);
    assertThat(replica).isEqualTo(multiset(history.get(history.size() - 1)));
  }

  private static Map<List<Object>, Long> stateAt(List<List<Integer>> history, List<Long> times, long ts) {
    Map<List<Object>, Long> state = Map.of();
    for (int i = 0; i < times.size() && times.get(i) <= ts; i++) {
      state = multiset(history.get(i));
    }
    return state;
  }

  @Test
  void rowsGoingBackInTimeAreAProtocolError() {
    TailBatcher b = new TailBatcher(c -> { });
    b.data(10, 1, new JsonArray().add(1));
    assertThatThrownBy(() -> b.data(9, 1, new JsonArray().add(1))).isInstanceOf(TailProtocolException.class);
    TailBatcher b2 = new TailBatcher(c -> { });
    b2.progress(10);
    assertThatThrownBy(() -> b2.data(9, 1, new JsonArray().add(1))).isInstanceOf(TailProtocolException.class);
    assertThatThrownBy(() -> b2.progress(5)).isInstanceOf(TailProtocolException.class);
  }

  @Test
  void aSnapshotThatRetractsIsAProtocolError() {
    TailBatcher b = new TailBatcher(c -> { });
    b.data(10, -1, new JsonArray().add(1));
    assertThatThrownBy(() -> b.progress(11)).isInstanceOf(TailProtocolException.class).hasMessageContaining("snapshot");
  }

  @Test
  void rowsAtTheFrontierStayOpenUntilALaterOne() {
    List<TailBatcher.Closed> out = new ArrayList<>();
    TailBatcher b = new TailBatcher(out::add);
    b.progress(10);                              // the AS OF: nothing before 10, which says nothing about 10
    assertThat(out).isEmpty();
    b.data(10, 1, new JsonArray().add("x"));     // the snapshot's rows at 10
    b.progress(10);                              // more may still come at 10
    assertThat(out).isEmpty();
    b.data(10, 1, new JsonArray().add("y"));
    b.progress(11);                              // 10 is complete
    assertThat(out).hasSize(1);
    assertThat(out.get(0).kind()).isEqualTo(TailBatcher.Kind.SNAPSHOT);
    assertThat(out.get(0).timestamp()).isEqualTo(10);
    assertThat(out.get(0).inserted().encode()).isEqualTo("[[\"x\"],[\"y\"]]");
    b.progress(15);
    assertThat(out).hasSize(2);
    assertThat(out.get(1).kind()).isEqualTo(TailBatcher.Kind.PROGRESS);
    assertThat(out.get(1).timestamp()).isEqualTo(14);
  }

  @Test
  void anEmptyViewsSnapshotIsKnownOnceProgressMovesPastTheFirstTime() {
    List<TailBatcher.Closed> out = new ArrayList<>();
    TailBatcher b = new TailBatcher(out::add);
    b.progress(10);
    b.progress(10);
    assertThat(out).isEmpty();
    b.progress(12);                              // 10 and 11 complete, without a row
    assertThat(out).hasSize(1);
    assertThat(out.get(0).kind()).isEqualTo(TailBatcher.Kind.SNAPSHOT);
    assertThat(out.get(0).timestamp()).isEqualTo(11);
    assertThat(out.get(0).inserted()).isEmpty();
    b.data(12, 1, new JsonArray().add("x"));
    b.progress(13);
    assertThat(out).hasSize(2);
    assertThat(out.get(1).kind()).isEqualTo(TailBatcher.Kind.BATCH);
    assertThat(out.get(1).timestamp()).isEqualTo(12);
  }

  // --- an independent model: rows are [user, count] with user u0..u2, as Lists of Long/String

  private static List<Object> row(int v) {
    return List.of("u" + (v % 3), (long) v);
  }

  private static JsonArray json(List<Object> row) {
    return new JsonArray(new ArrayList<>(row));
  }

  private static Map<List<Object>, Long> multiset(List<Integer> values) {
    Map<List<Object>, Long> m = new HashMap<>();
    for (int v : values) {
      m.merge(row(v), 1L, Long::sum);
    }
    return m;
  }

  private static Map<List<Object>, Long> diff(Map<List<Object>, Long> from, Map<List<Object>, Long> to) {
    Map<List<Object>, Long> d = new HashMap<>(to);
    from.forEach((row, n) -> d.merge(row, -n, Long::sum));
    d.values().removeIf(n -> n == 0);
    return d;
  }

  // A net change of n, sent as several rows (e.g. +3 as +1,+2, or as +4,-1).
  private static List<Update> split(long ts, List<Object> row, long n, Random random) {
    List<Update> out = new ArrayList<>();
    long sum = 0;
    while (sum != n) {
      long left = n - sum;
      long part = random.nextInt(3) == 0 ? left : Long.signum(left) * (1 + random.nextInt((int) Math.abs(left)));
      if (random.nextInt(5) == 0) { // overshoot by one, then take it back
        out.add(new Update(ts, part + Long.signum(part), json(row)));
        out.add(new Update(ts, (long) -Long.signum(part), json(row)));
      } else {
        out.add(new Update(ts, part, json(row)));
      }
      sum += part;
    }
    return out;
  }

  /** Row keys the way the test compares them: JSON numbers as Long. */
  private static List<Object> key(JsonArray row) {
    List<Object> key = new ArrayList<>();
    for (Object v : row) {
      key.add(v instanceof Number n ? (Object) n.longValue() : v);
    }
    return key;
  }
}
