package wikirecent.engine;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.constraints.IntRange;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewTable;
import wikirecent.bus.Views;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The maintained views against a from-scratch recomputation ({@link Oracle}) after every batch. */
class ViewStatePropertyTest {

  @Provide
  Arbitrary<List<List<String>>> batches() {
    return EventLines.batches();
  }

  @Property(tries = 400)
  void everyBatchEqualsARecomputationAndTheMessagesRebuildIt(
    @ForAll("batches") List<List<String>> batches,
    @ForAll @IntRange(min = 0, max = 5) int untrackedBatches) {
    ViewState state = new ViewState();
    List<byte[]> prefix = new ArrayList<>();
    int lines = batches.stream().mapToInt(List::size).sum();
    Statistics.label("lines").collect(lines < 50 ? "<50" : lines < 200 ? "50-199" : ">=200");
    Map<Views, ViewTable> tables = new EnumMap<>(Views.class);
    Map<Views, Long> lastTs = new EnumMap<>(Views.class);
    long ts = 1000;
    int i = 0;
    for (List<String> batch : batches) {
      boolean catchingUp = i++ < untrackedBatches;
      if (!catchingUp && !state.tracking()) {
        // going live: subscribers start from a snapshot of what was read without publishing
        state.startTracking();
        ts++;
        for (Views v : Views.values()) {
          tables.put(v, new ViewTable(v.viewName()));
          assertThat(tables.get(v).apply(state.snapshot(v, ts))).isTrue();
          lastTs.put(v, ts);
        }
      }
      long validInBatch = 0;
      for (String line : batch) {
        byte[] b = EventLines.bytes(line);
        boolean applied = state.applyLine(b, 0, b.length);
        assertThat(applied).as("applied %s", line).isEqualTo(Oracle.parse(b).valid());
        if (applied) {
          validInBatch++;
        }
        prefix.add(b);
      }
      Oracle.Expected expected = Oracle.compute(prefix);
      assertEquals(state, expected);
      if (catchingUp) {
        continue;
      }
      assertThat(state.changed()).isEqualTo(validInBatch > 0);
      List<JsonObject> messages = state.closeBatch(++ts);
      assertThat(messages.isEmpty()).isEqualTo(validInBatch == 0);
      for (JsonObject m : messages) {
        Views v = Views.byName(ViewMessage.view(m)).orElseThrow();
        assertThat(ViewMessage.timestamp(m)).isGreaterThan(lastTs.get(v));
        lastTs.put(v, ViewMessage.timestamp(m));
        assertConsolidated(m);
        assertThat(tables.get(v).apply(m)).as("batch fits the table: %s", m).isTrue();
      }
      assertThat(state.changed()).isFalse();
      assertThat(tables.get(Views.COUNTER).rows()).isEqualTo(new JsonArray().add(new JsonArray().add(expected.count())));
      assertThat(Oracle.userEditsOf(tables.get(Views.USER_EDITS).rows())).isEqualTo(expected.userEdits());
      assertThat(Oracle.top10Of(tables.get(Views.TOP10).rows())).isEqualTo(expected.top10());
    }
  }

  static void assertEquals(ViewState state, Oracle.Expected expected) {
    assertThat(state.total()).isEqualTo(expected.count());
    assertThat(state.rows(Views.COUNTER)).isEqualTo(new JsonArray().add(new JsonArray().add(expected.count())));
    assertThat(Oracle.userEditsOf(state.rows(Views.USER_EDITS))).isEqualTo(expected.userEdits());
    assertThat(state.groups()).isEqualTo(expected.userEdits().size());
    assertThat(Oracle.top10Of(state.rows(Views.TOP10))).isEqualTo(expected.top10());
  }

  /** Not empty, and no row both inserted and deleted. */
  static void assertConsolidated(JsonObject m) {
    JsonArray ins = m.getJsonArray(ViewMessage.INSERTED);
    JsonArray del = m.getJsonArray(ViewMessage.DELETED);
    assertThat(ins.size() + del.size()).as("empty batch %s", m).isPositive();
    Set<List<Object>> inserted = new HashSet<>();
    for (Object r : ins) {
      inserted.add(ViewTable.normalize((JsonArray) r));
    }
    for (Object r : del) {
      assertThat(inserted).as("row both inserted and deleted in %s", m).doesNotContain(ViewTable.normalize((JsonArray) r));
    }
  }
}
