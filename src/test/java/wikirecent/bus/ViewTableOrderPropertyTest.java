package wikirecent.bus;

import io.vertx.core.json.JsonArray;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A captured state's snapshot lists its rows in the view's order whatever came before: batches, snapshots, captures
 * built or not, released in any order (a capture starts from the order an earlier one was built in). Expected rows come
 * from a model multiset sorted here by the rule itself: count descending, then name, the NULL name last.
 */
class ViewTableOrderPropertyTest {

  private static final String[] NAMES = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", null};
  private static final Comparator<List<Object>> RULE = Comparator
    .<List<Object>>comparingLong(r -> -(Long) r.get(1))
    .thenComparing(r -> (String) r.get(0), Comparator.nullsLast(Comparator.naturalOrder()));

  private record Taken(ViewTable.Captured state, String expected) {
  }

  @Property(tries = 300)
  void everySnapshotIsInTheViewsOrder(@ForAll long seed) {
    Random random = new Random(seed);
    ViewTable table = new ViewTable("top10");
    Map<List<Object>, Integer> model = new HashMap<>();
    long ts = 1;
    table.apply(ViewMessage.snapshot("top10", ts, json(randomRows(random, model))));
    List<Taken> open = new ArrayList<>();
    for (int step = 0; step < 120; step++) {
      int op = random.nextInt(10);
      if (op < 5) {
        JsonArray deleted = new JsonArray();
        JsonArray inserted = new JsonArray();
        for (List<Object> row : new ArrayList<>(model.keySet())) {
          if (random.nextInt(4) == 0) {
            deleted.add(new JsonArray(new ArrayList<>(row)));
            model.merge(row, -1, Integer::sum);
            model.remove(row, 0);
          }
        }
        for (int i = random.nextInt(4); i > 0; i--) {
          List<Object> row = row(random);
          inserted.add(new JsonArray(new ArrayList<>(row)));
          model.merge(row, 1, Integer::sum);
        }
        assertThat(table.apply(ViewMessage.batch("top10", ++ts, inserted, deleted))).isTrue();
      } else if (op < 7) {
        open.add(new Taken(table.capture(), expected(model)));
      } else if (op < 9 && !open.isEmpty()) {
        Taken t = open.remove(random.nextInt(open.size()));
        if (random.nextBoolean()) {
          assertThat(t.state().snapshot().getJsonArray(ViewMessage.INSERTED).encode()).isEqualTo(t.expected());
        }
        table.release(t.state());
      } else if (random.nextInt(8) == 0) {
        model.clear();
        table.apply(ViewMessage.snapshot("top10", ++ts, json(randomRows(random, model))));
      }
      assertThat(table.rows().encode()).isEqualTo(expected(model));
    }
    for (Taken t : open) {
      assertThat(t.state().snapshot().getJsonArray(ViewMessage.INSERTED).encode()).isEqualTo(t.expected());
    }
  }

  private static List<List<Object>> randomRows(Random random, Map<List<Object>, Integer> model) {
    List<List<Object>> rows = new ArrayList<>();
    for (int i = random.nextInt(30); i > 0; i--) {
      List<Object> row = row(random);
      rows.add(row);
      model.merge(row, 1, Integer::sum);
    }
    return rows;
  }

  private static List<Object> row(Random random) {
    List<Object> row = new ArrayList<>();
    row.add(NAMES[random.nextInt(NAMES.length)]);
    row.add((long) (1 + random.nextInt(6)));
    return Collections.unmodifiableList(row);
  }

  private static JsonArray json(List<List<Object>> rows) {
    JsonArray out = new JsonArray();
    rows.forEach(r -> out.add(new JsonArray(new ArrayList<>(r))));
    return out;
  }

  private static String expected(Map<List<Object>, Integer> model) {
    List<List<Object>> rows = new ArrayList<>();
    model.forEach((row, n) -> {
      for (int i = 0; i < n; i++) {
        rows.add(row);
      }
    });
    rows.sort(RULE);
    return json(rows).encode();
  }
}
