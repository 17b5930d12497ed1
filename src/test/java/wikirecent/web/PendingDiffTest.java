package wikirecent.web;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewTable;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PendingDiffTest {

  /**
   * A user_edits-like view whose users edit at random; its batches are merged and flushed at
   * random points. Applying only the merged batches gives what applying every batch gives, and
   * each merged batch is consolidated, minimal, and newer than the one before.
   */
  @Property(tries = 300)
  void mergedBatchesRebuildTheSameStateAsEveryBatch(@ForAll long seed,
                                                    @ForAll @IntRange(min = 1, max = 200) int batches,
                                                    @ForAll @Size(min = 1, max = 8) List<@IntRange(min = 0, max = 6) Integer> flushEvery) {
    Random random = new Random(seed);
    Map<String, Long> counts = new HashMap<>();
    ViewTable everyBatch = new ViewTable("user_edits");
    ViewTable mergedOnly = new ViewTable("user_edits");
    JsonObject start = ViewMessage.snapshot("user_edits", 1, new JsonArray());
    everyBatch.apply(start);
    mergedOnly.apply(start);
    PendingDiff pending = new PendingDiff("user_edits");
    long ts = 1;
    long lastSent = 1;
    int sinceFlush = 0;
    for (int b = 0; b < batches; b++) {
      JsonArray inserted = new JsonArray();
      JsonArray deleted = new JsonArray();
      Set<String> touched = new HashSet<>();
      for (int e = 0, n = random.nextInt(4); e < n; e++) {
        touched.add(random.nextInt(5) == 0 ? null : "user" + random.nextInt(6));
      }
      for (String user : touched) {
        Long before = counts.get(user);
        long after = (before == null ? 0 : before) + 1 + random.nextInt(3);
        if (before != null) {
          deleted.add(new JsonArray().add(user).add(before));
        }
        inserted.add(new JsonArray().add(user).add(after));
        counts.put(user, after);
      }
      ts += 1 + random.nextInt(3);
      JsonObject batch = ViewMessage.batch("user_edits", ts, inserted, deleted);
      assertThat(everyBatch.apply(batch)).isTrue();
      pending.add(batch);
      if (++sinceFlush > flushEvery.get(b % flushEvery.size()) || b == batches - 1) {
        sinceFlush = 0;
        JsonObject merged = pending.take();
        assertThat(ViewMessage.timestamp(merged)).isEqualTo(ts).isGreaterThan(lastSent);
        lastSent = ts;
        List<Object> ins = new ArrayList<>(merged.getJsonArray(ViewMessage.INSERTED).getList());
        ins.retainAll(merged.getJsonArray(ViewMessage.DELETED).getList());
        assertThat(ins).as("a row is never both inserted and deleted").isEmpty();
        assertThat(mergedOnly.apply(merged)).isTrue();
        assertThat(mergedOnly.rows()).isEqualTo(everyBatch.rows());
      }
    }
    assertThat(mergedOnly.rows()).isEqualTo(everyBatch.rows());
    assertThat(mergedOnly.size()).isEqualTo(counts.size());
  }

  @Property(tries = 50)
  void changesThatCancelOutLeaveAnEmptyBatch(@ForAll @IntRange(min = 1, max = 50) long count) {
    PendingDiff pending = new PendingDiff("top10");
    JsonArray row = new JsonArray().add("Alice").add(count);
    pending.add(ViewMessage.batch("top10", 10, new JsonArray().add(row), new JsonArray()));
    pending.add(ViewMessage.batch("top10", 11, new JsonArray(), new JsonArray().add(row.copy())));
    JsonObject merged = pending.take();
    assertThat(merged.getJsonArray(ViewMessage.INSERTED)).isEmpty();
    assertThat(merged.getJsonArray(ViewMessage.DELETED)).isEmpty();
    assertThat(ViewMessage.timestamp(merged)).isEqualTo(11);
  }

  @Property(tries = 10)
  void anOlderBatchIsRefused(@ForAll @IntRange(min = 0, max = 5) int back) {
    PendingDiff pending = new PendingDiff("counter");
    pending.add(ViewMessage.batch("counter", 100, new JsonArray().add(new JsonArray().add(1)), new JsonArray()));
    assertThatThrownBy(() -> pending.add(ViewMessage.batch("counter", 100 - back, new JsonArray(), new JsonArray())))
      .isInstanceOf(IllegalArgumentException.class);
  }
}
