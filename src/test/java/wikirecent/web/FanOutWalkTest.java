package wikirecent.web;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewTable;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The walk of a crowded instance against a replica of the source: batches arriving between any two chunks,
 * clients joining and leaving, and every client ends holding exactly the source's rows, having applied each
 * frame it got on top of the state it held (a frame never repeats or skips a change).
 */
class FanOutWalkTest {

  private static final String KEY = "user_edits";

  /** Holds what it is sent, applied to its own table; writes complete at once. */
  static final class ApplyingClient extends TestClient {
    final ViewTable table = new ViewTable(KEY);
    final List<Long> timestamps = new ArrayList<>();
    boolean diverged;

    @Override
    Future<Void> write(Buffer frame) {
      JsonObject m = new JsonObject(frame.toString());
      if (!ViewMessage.isSnapshot(m) && !timestamps.isEmpty() && ViewMessage.timestamp(m) <= timestamps.get(timestamps.size() - 1)) {
        diverged = true; // old news: the walk sent it a change it had
      }
      diverged |= !table.apply(m);
      timestamps.add(ViewMessage.timestamp(m));
      return Future.succeededFuture();
    }
  }

  /** The source's state, the replica's part: applies batches and hands the non-empty ones to the fan-out. */
  static final class Source {
    final ViewTable table = new ViewTable(KEY);
    final Map<String, Long> counts = new HashMap<>();
    final Deque<Runnable> later = new ArrayDeque<>();
    final FanOut fanOut;
    long ts = 1;
    long fannedOut = 1;

    Source() {
      table.apply(ViewMessage.snapshot(KEY, 1, new JsonArray()));
      fanOut = new FanOut(1 << 20, new WebMetrics(), key -> Encoded.of(KEY, table.snapshot()), key -> table.timestamp(), later::add);
    }

    void batch(Random random) {
      JsonArray inserted = new JsonArray();
      JsonArray deleted = new JsonArray();
      Set<String> touched = new HashSet<>();
      for (int e = 0, n = random.nextInt(4); e < n; e++) {
        touched.add("user" + random.nextInt(8));
      }
      for (String user : touched) {
        Long before = counts.get(user);
        long after = (before == null ? 0 : before) + 1;
        if (before != null) {
          deleted.add(new JsonArray().add(user).add(before));
        }
        inserted.add(new JsonArray().add(user).add(after));
        counts.put(user, after);
      }
      ts += 1 + random.nextInt(2);
      JsonObject batch = ViewMessage.batch(KEY, ts, inserted, deleted);
      assertThat(table.apply(batch)).isTrue();
      if (!touched.isEmpty()) { // as the replica: an empty batch moves the state but is not sent
        long previous = fannedOut;
        fannedOut = ts;
        fanOut.batch(KEY, batch, previous);
      }
    }

    /** Runs up to n queued chunks (all if n < 0). */
    void run(int n) {
      for (int i = 0; (n < 0 || i < n) && !later.isEmpty(); i++) {
        later.poll().run();
      }
    }
  }

  @Property(tries = 60)
  void everyClientEndsAtTheSourceAndAppliesEachFrameOnWhatItHeld(@ForAll long seed,
                                                                  @ForAll @IntRange(min = 100, max = 700) int clients,
                                                                  @ForAll @IntRange(min = 1, max = 80) int steps) {
    Random random = new Random(seed);
    Source source = new Source();
    List<ApplyingClient> all = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      all.add(join(source));
    }
    assertThat(source.fanOut.crowded(KEY)).isTrue();
    for (int s = 0; s < steps; s++) {
      switch (random.nextInt(6)) {
        case 0, 1, 2 -> source.batch(random);
        case 3 -> source.run(1 + random.nextInt(3));
        case 4 -> all.add(join(source));
        default -> {
          ApplyingClient leaving = all.remove(random.nextInt(all.size()));
          source.fanOut.remove(leaving);
        }
      }
    }
    source.run(-1);
    for (ApplyingClient c : all) {
      assertThat(c.diverged).as("a frame that did not start from what the client held").isFalse();
      assertThat(c.table.rows()).isEqualTo(source.table.rows());
    }
  }

  @Test
  void aBatchArrivingDuringAWalkReachesTheClientsNotYetVisitedInOneFrame() {
    Random random = new Random(1);
    Source source = new Source();
    List<ApplyingClient> all = new ArrayList<>();
    for (int i = 0; i < 3 * FanOut.CHUNK; i++) {
      all.add(join(source));
    }
    long first = sendOne(source, random);
    source.run(1); // the first chunk gets it
    long second = sendOne(source, random);
    source.run(-1);
    List<Long> firstChunk = all.get(0).timestamps;
    List<Long> lastChunk = all.get(all.size() - 1).timestamps;
    assertThat(firstChunk).as("visited before the second batch: both, one by one").endsWith(first, second);
    assertThat(lastChunk).as("visited after it: one frame up to it").endsWith(1L, second).doesNotContain(first);
    for (ApplyingClient c : all) {
      assertThat(c.diverged).isFalse();
      assertThat(c.table.rows()).isEqualTo(source.table.rows());
    }
  }

  private static long sendOne(Source source, Random random) {
    long before = source.fannedOut;
    do {
      source.batch(random);
    } while (source.fannedOut == before);
    return source.fannedOut;
  }

  private static ApplyingClient join(Source source) {
    ApplyingClient c = new ApplyingClient();
    source.fanOut.add(c);
    source.fanOut.subscribe(c, KEY, true);
    return c;
  }
}
