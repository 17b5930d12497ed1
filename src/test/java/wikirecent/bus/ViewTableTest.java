package wikirecent.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ViewTableTest {

  private static JsonArray rows(Object[]... rows) {
    JsonArray out = new JsonArray();
    for (Object[] r : rows) {
      JsonArray row = new JsonArray();
      for (Object v : r) {
        row.addNull();
        row.set(row.size() - 1, v);
      }
      out.add(row);
    }
    return out;
  }

  @Test
  void appliesSnapshotThenNewerBatchesOnly() {
    ViewTable t = new ViewTable("top10");
    assertThat(t.apply(ViewMessage.batch("top10", 5, rows(new Object[]{"a", 1}), rows()))).isFalse();
    t.apply(ViewMessage.snapshot("top10", 10, rows(new Object[]{"a", 2}, new Object[]{null, 2})));
    assertThat(t.apply(ViewMessage.batch("top10", 9, rows(new Object[]{"x", 9}), rows()))).isTrue();
    assertThat(t.apply(ViewMessage.batch("top10", 11, rows(new Object[]{"a", 3}), rows(new Object[]{"a", 2})))).isTrue();
    assertThat(t.timestamp()).isEqualTo(11);
    JsonObject snap = t.snapshot();
    assertThat(snap.getBoolean("snapshot")).isTrue();
    assertThat(snap.getJsonArray("inserted").encode()).isEqualTo("[[\"a\",3],[null,2]]");
    assertThat(snap.getJsonArray("deleted")).isEmpty();
  }

  /** A captured state is what the table held then, whatever the table applies after (it is read on another thread). */
  @Test
  void aCapturedStateDoesNotChangeWithTheTable() {
    ViewTable t = new ViewTable("top10");
    t.apply(ViewMessage.snapshot("top10", 10, rows(new Object[]{"a", 2}, new Object[]{"b", 1})));
    ViewTable.Captured first = t.capture();
    t.apply(ViewMessage.batch("top10", 11, rows(new Object[]{"b", 2}), rows(new Object[]{"b", 1})));
    ViewTable.Captured second = t.capture();
    ViewTable.Captured again = t.capture(); // nothing applied between: the same state
    t.apply(ViewMessage.batch("top10", 12, rows(new Object[]{"c", 5}), rows(new Object[]{"a", 2})));
    t.apply(ViewMessage.snapshot("top10", 13, rows(new Object[]{"d", 1})));

    assertThat(first.timestamp()).isEqualTo(10);
    assertThat(first.snapshot().getJsonArray("inserted").encode()).isEqualTo("[[\"a\",2],[\"b\",1]]");
    assertThat(second.timestamp()).isEqualTo(11);
    assertThat(second.snapshot().getJsonArray("inserted").encode()).isEqualTo("[[\"a\",2],[\"b\",2]]");
    assertThat(again.snapshot()).isEqualTo(second.snapshot());
    assertThat(t.snapshot().getJsonArray("inserted").encode()).isEqualTo("[[\"d\",1]]");
    assertThat(t.timestamp()).isEqualTo(13);

    // Released, a state is the table's own again (changed in place); a state it no longer has is not its business.
    ViewTable.Captured fourth = t.capture();
    t.release(second);
    t.apply(ViewMessage.batch("top10", 14, rows(new Object[]{"d", 2}), rows(new Object[]{"d", 1})));
    assertThat(fourth.snapshot().getJsonArray("inserted").encode()).as("not released: still copied").isEqualTo("[[\"d\",1]]");
    ViewTable.Captured fifth = t.capture();
    t.release(fifth);
    t.apply(ViewMessage.batch("top10", 15, rows(new Object[]{"d", 3}), rows(new Object[]{"d", 2})));
    assertThat(fifth.snapshot().getJsonArray("inserted").encode()).as("released: changed in place").isEqualTo("[[\"d\",3]]");
  }

  @Test
  void aDeleteOfAMissingRowIsDivergence() {
    ViewTable t = new ViewTable("counter");
    t.apply(ViewMessage.snapshot("counter", 1, rows(new Object[]{0L})));
    assertThat(t.apply(ViewMessage.batch("counter", 2, rows(new Object[]{2}), rows(new Object[]{1})))).isFalse();
  }

  @Test
  void integerAndLongRowsAreTheSameRow() {
    ViewTable t = new ViewTable("counter");
    t.apply(ViewMessage.snapshot("counter", 1, rows(new Object[]{7})));
    assertThat(t.apply(ViewMessage.batch("counter", 2, rows(new Object[]{8}), rows(new Object[]{7L})))).isTrue();
    assertThat(t.rows().encode()).isEqualTo("[[8]]");
  }
}
