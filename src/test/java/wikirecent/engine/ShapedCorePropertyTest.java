package wikirecent.engine;

import io.vertx.core.json.JsonObject;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.statistics.Statistics;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewParams;
import wikirecent.bus.ViewParams.View;
import wikirecent.bus.ViewTable;
import wikirecent.engine.ShapedModel.Draft;
import wikirecent.engine.ShapedModel.Ev;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Live instances against {@link ShapedModel}'s recomputation: at every batch, each instance's rows as a
 * subscriber holds them (its snapshot, then every batch message) equal the view recomputed from all events
 * for the current watermark.
 */
class ShapedCorePropertyTest {

  sealed interface Action permits Event, Open, Close, Batch {
  }

  record Event(Draft draft) implements Action {
  }

  record Open(ViewParams params) implements Action {
  }

  record Close(ViewParams params) implements Action {
  }

  record Batch() implements Action {
  }

  @Provide
  Arbitrary<List<Action>> actions() {
    Arbitrary<Action> action = Arbitraries.frequencyOf(
      Tuple.of(60, ShapedModel.draft().map(Event::new)),
      Tuple.of(12, Arbitraries.just(new Batch())),
      Tuple.of(6, ShapedModel.params().map(Open::new)),
      Tuple.of(3, ShapedModel.params().map(Close::new)));
    return action.list().ofMinSize(20).ofMaxSize(300).withSizeDistribution(RandomDistribution.uniform());
  }

  @Provide
  Arbitrary<Long> start() {
    return Arbitraries.of(0L, 30L, 1_700_000_000L);
  }

  @Provide
  Arbitrary<List<ViewParams>> params() {
    return ShapedModel.params().list().ofMaxSize(8);
  }

  @Property(tries = 300)
  void everyLiveInstanceEqualsARecomputationAtEveryBatch(
    @ForAll("params") List<ViewParams> openFirst, @ForAll("actions") List<Action> actions, @ForAll("start") long start) {
    Run run = new Run(start);
    openFirst.forEach(run::open);
    for (Action a : actions) {
      if (a instanceof Event e) {
        run.event(e.draft());
      } else if (a instanceof Open o) {
        run.open(o.params());
      } else if (a instanceof Close c) {
        run.close(c.params());
      } else {
        run.batch();
      }
    }
    run.batch();
    Statistics.label("batches").collect(run.batches < 10 ? "<10" : run.batches < 30 ? "10-29" : ">=30");
    Statistics.label("window events").collect(run.core.windowEvents() < 50 ? "<50" : ">=50");
    Statistics.label("windowed rows deleted").collect(run.windowedDeletes == 0 ? "0" : run.windowedDeletes < 20 ? "<20" : ">=20");
  }

  /** One core, the events so far, and each live instance's rows as a subscriber holds them. */
  private static final class Run {
    final ShapedCore core = new ShapedCore();
    final List<Ev> events = new ArrayList<>();
    final Map<ViewParams, ViewTable> tables = new HashMap<>();
    final long start;
    long batchTs = 1000;
    int batches;
    int windowedDeletes;

    Run(long start) {
      this.start = start;
    }

    void event(Draft d) {
      Ev e = ShapedModel.resolve(events, d, start);
      events.add(e);
      e.applyTo(core);
      Long wm = ShapedModel.watermark(events);
      assertThat(core.watermark()).isEqualTo(wm == null ? EventParser.NO_TS : wm);
    }

    void open(ViewParams p) {
      JsonObject snapshot = core.open(p, batchTs);
      assertMessageNames(snapshot, p);
      assertThat(ViewMessage.isSnapshot(snapshot)).isTrue();
      List<List<Object>> rows = ShapedModel.plain(snapshot.getJsonArray(ViewMessage.INSERTED));
      ViewTable held = tables.get(p);
      if (held != null) {
        // already live: the rows as of the last batch, which is what its subscribers hold
        assertThat(rows).containsExactlyInAnyOrderElementsOf(ShapedModel.plain(held.rows()));
        return;
      }
      assertRows(p, rows, ShapedModel.expected(p, events));
      ViewTable t = new ViewTable(p.view().viewName());
      assertThat(t.apply(snapshot)).isTrue();
      tables.put(p, t);
    }

    void close(ViewParams p) {
      assertThat(core.close(p)).isEqualTo(tables.remove(p) != null);
    }

    void batch() {
      batches++;
      Set<ViewParams> seen = new HashSet<>();
      for (JsonObject m : core.closeBatch(++batchTs)) {
        ViewParams p = paramsOf(m);
        assertThat(seen.add(p)).as("one message per instance: %s", m).isTrue();
        assertThat(tables).as("message for a live instance: %s", m).containsKey(p);
        assertMessageNames(m, p);
        ViewStatePropertyTest.assertConsolidated(m);
        if (p.window() != ViewParams.Window.ALL) {
          windowedDeletes += m.getJsonArray(ViewMessage.DELETED).size();
        }
        assertThat(tables.get(p).apply(m)).as("batch fits the table: %s", m).isTrue();
      }
      assertThat(core.pending()).isFalse();
      for (Map.Entry<ViewParams, ViewTable> t : tables.entrySet()) {
        List<List<Object>> expected = ShapedModel.expected(t.getKey(), events);
        assertThat(ShapedModel.plain(t.getValue().rows())).as("%s held by a subscriber", t.getKey())
          .containsExactlyInAnyOrderElementsOf(expected);
        assertRows(t.getKey(), ShapedModel.plain(core.rows(t.getKey())), expected);
      }
    }
  }

  @Property(tries = 200)
  void anInstanceOpenedLateEqualsOneOpenedAtTheStart(@ForAll @Size(max = 250) List<@net.jqwik.api.From("draft") Draft> drafts,
                                                     @ForAll("start") long start) {
    ShapedCore early = new ShapedCore();
    ShapedCore late = new ShapedCore();
    Map<ViewParams, ViewTable> tables = new HashMap<>();
    for (ViewParams p : ShapedModel.allParams()) {
      ViewTable t = new ViewTable(p.view().viewName());
      t.apply(early.open(p, 1));
      tables.put(p, t);
    }
    List<Ev> events = new ArrayList<>();
    long ts = 1;
    for (Draft d : drafts) {
      Ev e = ShapedModel.resolve(events, d, start);
      events.add(e);
      e.applyTo(early);
      e.applyTo(late);
      if (events.size() % 17 == 0) {
        applyAll(early.closeBatch(++ts), tables);
      }
    }
    applyAll(early.closeBatch(++ts), tables);
    for (ViewParams p : ShapedModel.allParams()) {
      List<List<Object>> opened = ShapedModel.plain(late.open(p, ts).getJsonArray(ViewMessage.INSERTED));
      assertThat(ShapedModel.plain(tables.get(p).rows())).as("%s", p).containsExactlyInAnyOrderElementsOf(opened);
      assertThat(ShapedModel.plain(early.rows(p))).as("%s", p).isEqualTo(opened);
    }
  }

  @Property(tries = 200)
  void aRestoredCoreEqualsTheOriginalAndGoesOnAlike(@ForAll @Size(max = 200) List<@net.jqwik.api.From("draft") Draft> before,
                                                    @ForAll @Size(max = 200) List<@net.jqwik.api.From("draft") Draft> after,
                                                    @ForAll("params") List<ViewParams> open,
                                                    @ForAll("start") long start) throws IOException {
    ShapedCore original = new ShapedCore();
    List<Ev> events = new ArrayList<>();
    for (Draft d : before) {
      Ev e = ShapedModel.resolve(events, d, start);
      events.add(e);
      e.applyTo(original);
    }
    byte[] written = bytes(original);
    ShapedCore restored = ShapedCore.read(new DataInputStream(new ByteArrayInputStream(written)));
    assertThat(bytes(restored)).isEqualTo(written);
    assertThat(restored.watermark()).isEqualTo(original.watermark());
    assertThat(restored.events()).isEqualTo(original.events());
    assertThat(restored.windowEvents()).isEqualTo(original.windowEvents());
    for (ViewParams p : open) {
      assertThat(restored.open(p, 1)).isEqualTo(original.open(p, 1));
    }
    for (Draft d : after) {
      Ev e = ShapedModel.resolve(events, d, start);
      events.add(e);
      e.applyTo(original);
      e.applyTo(restored);
    }
    assertThat(restored.closeBatch(2)).isEqualTo(original.closeBatch(2));
    for (ViewParams p : ShapedModel.allParams()) {
      List<List<Object>> expected = ShapedModel.expected(p, events);
      assertRows(p, ShapedModel.plain(restored.open(p, 3).getJsonArray(ViewMessage.INSERTED)), expected);
      assertRows(p, ShapedModel.plain(original.open(p, 3).getJsonArray(ViewMessage.INSERTED)), expected);
    }
    assertThat(bytes(restored)).isEqualTo(bytes(original));
  }

  @Provide
  Arbitrary<Draft> draft() {
    return ShapedModel.draft();
  }

  static byte[] bytes(ShapedCore core) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(b);
    core.write(out);
    out.flush();
    return b.toByteArray();
  }

  private static void applyAll(List<JsonObject> messages, Map<ViewParams, ViewTable> tables) {
    for (JsonObject m : messages) {
      assertThat(tables.get(paramsOf(m)).apply(m)).as("batch fits: %s", m).isTrue();
    }
  }

  /** Top lists and edits per minute in their order; user_edits and wiki_edits in any. */
  static void assertRows(ViewParams p, List<List<Object>> actual, List<List<Object>> expected) {
    if (p.view() == View.USER_EDITS || p.view() == View.WIKI_EDITS) {
      assertThat(actual).as("%s", p).containsExactlyInAnyOrderElementsOf(expected);
    } else {
      assertThat(actual).as("%s", p).isEqualTo(expected);
    }
  }

  /** The parameter set a message names: its view and, unless all are default, its params object. */
  static ViewParams paramsOf(JsonObject m) {
    JsonObject params = m.getJsonObject("params", new JsonObject());
    List<Map.Entry<String, String>> query = new ArrayList<>();
    params.forEach(e -> query.add(Map.entry(e.getKey(), String.valueOf(e.getValue()))));
    return ViewParams.parse(ViewMessage.view(m), query);
  }

  private static void assertMessageNames(JsonObject m, ViewParams p) {
    assertThat(ViewMessage.view(m)).isEqualTo(p.view().viewName());
    assertThat(m.containsKey("params")).as("params only when not default: %s", m).isEqualTo(!p.isDefault());
    assertThat(paramsOf(m)).isEqualTo(p);
  }
}
