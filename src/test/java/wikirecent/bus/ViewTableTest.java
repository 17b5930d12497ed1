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
