package wikirecent.tail;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.config.Config;
import wikirecent.records.RecordFormat;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewParams;
import wikirecent.bus.ViewTable;
import wikirecent.bus.Views;
import wikirecent.replay.Sample;
import wikirecent.testsupport.Wait;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The recorded sample, appended to a recentchanges file in bursts, through the stand-in that
 * computes TAIL output from the file as Materialize would, through the tail verticle: every
 * state a subscriber can hold (after each published message) equals an independent
 * recomputation over the events up to that timestamp, across a connection cut too.
 */
@ExtendWith(VertxExtension.class)
class TailOverSampleTest {

  private static final long T = 1_700_000_000_000L;

  @Test
  void everyPublishedStateEqualsARecomputationOverTheSameEvents(Vertx vertx, @TempDir Path dir) throws IOException {
    List<String> events = Sample.lines();
    List<String> users = new ArrayList<>();
    for (String line : events) {
      users.add(new JsonObject(line).getString("user")); // null when missing
    }
    Path file = dir.resolve("recentchanges");
    append(file, events, 0, 1000);

    RecentChangesTail model = new RecentChangesTail(file, T, 97);
    FakeMaterialize fake = Wait.on(new FakeMaterialize(vertx, model).start(0));
    Bus bus = Bus.record(vertx);
    JsonObject conf = Config.load(new JsonObject()
      .put(Config.MATERIALIZE_URL, fake.url())
      .put(Config.MATERIALIZE_RETRY_MIN_MILLIS, 20)
      .put(Config.MATERIALIZE_RETRY_MAX_MILLIS, 200), Map.of());
    Wait.on(vertx.deployVerticle(new TailVerticle(), new DeploymentOptions().setConfig(conf)));

    int written = 1000;
    waitForCount(bus, written);
    for (int burst = 0; written < events.size(); burst++) {
      int n = Math.min(events.size() - written, 700);
      append(file, events, written, n);
      written += n;
      if (burst == 3) {
        fake.dropConnections(); // every view resets with a fresh snapshot
      }
      waitForCount(bus, written);
    }
    long last = model.lastTimestamp();
    for (Views v : Views.values()) {
      Wait.until(v.viewName() + " caught up", () -> bus.snapshotTimestamp(v.viewName()) >= last);
    }

    for (Views v : Views.values()) {
      List<JsonObject> messages = bus.messages(v.viewName());
      assertThat(messages.stream().filter(ViewMessage::isSnapshot).count()).as("snapshots of %s", v).isGreaterThanOrEqualTo(2);
      TailVerticleTest.assertStrictlyIncreasing(messages);
      ViewTable table = new ViewTable(v.viewName());
      for (JsonObject m : messages) {
        assertThat(table.apply(m)).as("%s applies to what came before", m.encode()).isTrue();
        int through = model.eventsThrough(m.getLong("timestamp"));
        assertThat(table.rows()).as("%s after %d events", v.viewName(), through).isEqualTo(expected(v, users.subList(0, through)));
      }
      assertThat(table.rows()).isEqualTo(expected(v, users));
      assertThat(bus.snapshot(v.viewName()).getJsonArray("inserted")).isEqualTo(expected(v, users));
    }
    assertThat(expected(Views.COUNTER, users).encode()).isEqualTo("[[" + events.size() + "]]");
    assertThat(fake.unexpected()).isEmpty();
  }

  /**
   * The shaped sets over the sample, with Materialize's clock a few minutes after the recording's
   * first events and moving a second per timestamp: the 5-minute windows lose events as the clock
   * passes them. Every state a subscriber of a set can hold equals the set's rows recomputed over
   * the events Materialize had at that time, at that clock.
   */
  @Test
  void everyPublishedStateOfAShapedSetEqualsItsRowsAtThatClock(Vertx vertx, @TempDir Path dir) throws IOException {
    List<String> events = Sample.lines();
    long first = new JsonObject(events.get(0)).getLong("timestamp");
    Path file = dir.resolve("recentchanges");
    append(file, events, 0, 800);
    RecentChangesTail model = new RecentChangesTail(file, (first + 330) * 1000, 97);
    FakeMaterialize fake = Wait.on(new FakeMaterialize(vertx, model).start(0));
    Bus bus = Bus.record(vertx);
    JsonObject conf = Config.load(new JsonObject()
      .put(Config.MATERIALIZE_URL, fake.url())
      .put(Config.MATERIALIZE_RETRY_MIN_MILLIS, 20)
      .put(Config.MATERIALIZE_RETRY_MAX_MILLIS, 200), Map.of());
    Wait.on(vertx.deployVerticle(new TailVerticle(), new DeploymentOptions().setConfig(conf)));
    waitForCount(bus, 800);

    Map<String, String> sets = new java.util.LinkedHashMap<>(); // key -> view in views.sql, as its name says
    sets.put("top10?bot=false&window=5m", "top10_bot_false_5m");
    sets.put("counter?bot=true&window=5m", "counter_bot_true_5m");
    sets.put("counter?window=24h", "counter_24h");
    sets.put("top_wikis?bot=true&window=1h", "top_wikis_bot_true_1h");
    sets.put("top10?bot=true", "top10_bot_true");
    for (String key : sets.keySet()) {
      bus.listen(key);
      ViewParams p = ViewParams.parse(key);
      JsonObject snapshot = bus.snapshot(p.view().viewName(), p.toJson());
      assertThat(snapshot.getJsonObject("params")).isEqualTo(p.toJson());
    }
    sets.put("top_wikis", "top_wikis");
    sets.put("edits_per_minute", "edits_per_minute");
    sets.put("wiki_edits", "wiki_edits");

    int written = 800;
    while (written < events.size()) {
      int n = Math.min(events.size() - written, 900);
      append(file, events, written, n);
      written += n;
      waitForCount(bus, written);
    }
    long last = model.lastTimestamp();
    long deletions = 0;
    for (Map.Entry<String, String> set : sets.entrySet()) {
      ServedSets.Served served = ServedSets.byKey(set.getKey()).orElseThrow();
      Wait.until(set.getKey() + " caught up", () -> bus.snapshotTimestamp(served.viewName(), served.params()) >= last);
      List<JsonObject> messages = bus.messages(set.getKey());
      assertThat(messages).as(set.getKey()).isNotEmpty();
      TailVerticleTest.assertStrictlyIncreasing(messages);
      ViewTable table = new ViewTable(ViewMessage.view(messages.get(0)));
      for (JsonObject m : messages) {
        assertThat(table.apply(m)).as("%s applies to what came before", m.encode()).isTrue();
        long ts = m.getLong("timestamp");
        assertThat(sorted(table.rows())).as("%s at %d", set.getKey(), ts)
          .isEqualTo(sorted(MzModel.json(MzModel.rows(set.getValue(), model.eventsAt(ts), ts))));
        deletions += m.getJsonArray("deleted").size();
        assertThat(m.getJsonObject("params")).as("params of %s", m.encode()).isEqualTo(served.params());
      }
    }
    assertThat(deletions).as("rows left the sets (counts changed, windows moved on)").isGreaterThan(0);
    List<List<Object>> fiveMinutes = MzModel.rows("counter_bot_true_5m", model.eventsAt(last), last);
    List<List<Object>> day = MzModel.rows("counter_bot_true_24h", model.eventsAt(last), last);
    assertThat((Long) fiveMinutes.get(0).get(0)).as("the clock passed some events: five minutes hold fewer than the day")
      .isLessThan((Long) day.get(0).get(0)).isGreaterThan(0);
    assertThat(fake.unexpected()).isEmpty();
  }

  private static List<String> sorted(JsonArray rows) {
    List<String> out = new ArrayList<>();
    for (Object r : rows) {
      out.add(new JsonArray(ViewTable.normalize((JsonArray) r)).encode());
    }
    java.util.Collections.sort(out);
    return out;
  }

  @Test
  void aLineThatIsNotJsonWedgesTheViewsAsInMaterialize(Vertx vertx, @TempDir Path dir) throws IOException {
    Path file = dir.resolve("recentchanges");
    Files.write(file, RecordFormat.record("[1]", "{\"user\":\"alice\"}"));
    RecentChangesTail model = new RecentChangesTail(file, T, 10);
    FakeMaterialize fake = Wait.on(new FakeMaterialize(vertx, model).start(0));
    Bus bus = Bus.record(vertx);
    JsonObject conf = Config.load(new JsonObject()
      .put(Config.MATERIALIZE_URL, fake.url())
      .put(Config.MATERIALIZE_RETRY_MIN_MILLIS, 20)
      .put(Config.MATERIALIZE_RETRY_MAX_MILLIS, 100), Map.of());
    Wait.on(vertx.deployVerticle(new TailVerticle(), new DeploymentOptions().setConfig(conf)));
    Wait.until("live", () -> bus.status().getBoolean("live"));

    Files.write(file, RecordFormat.record("[2]", "{not json"), StandardOpenOption.APPEND);
    Wait.until("not live", () -> !bus.status().getBoolean("live"));
    Wait.until("the error was seen more than once", () -> bus.counter("wikirecent_views_tail_sql_errors_total") >= 3);
    assertThat(bus.status().getString("detail")).contains("invalid input syntax for type jsonb");
    // What subscribers hold is the last good state; nothing wrong was published.
    assertThat(bus.snapshot("counter").getJsonArray("inserted").encode()).isEqualTo("[[1]]");
  }

  private static void waitForCount(Bus bus, int n) {
    Wait.until("counter at " + n, () -> {
      JsonArray rows = snapshotRows(bus);
      return rows != null && rows.size() == 1 && rows.getJsonArray(0).getLong(0) == n;
    });
  }

  private static JsonArray snapshotRows(Bus bus) {
    return bus.snapshotTimestamp("counter") < 0 ? null : bus.snapshot("counter").getJsonArray("inserted");
  }

  private static void append(Path file, List<String> events, int from, int count) throws IOException {
    StringBuilder sb = new StringBuilder(":ok\n\n"); // an SSE comment: no data line, ignored by the source
    byte[] head = sb.toString().getBytes();
    Files.write(file, head, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    for (int i = from; i < from + count; i++) {
      String id = "[{\"topic\":\"eqiad.mediawiki.recentchange\",\"partition\":0,\"offset\":" + i + "}]";
      Files.write(file, RecordFormat.record(id, events.get(i)), StandardOpenOption.APPEND);
    }
  }

  /**
   * The views over these users, computed here from scratch: counts per user, then the rows in
   * the views' order (count descending, then the name by code point, the NULL user last).
   */
  static JsonArray expected(Views view, List<String> users) {
    JsonArray out = new JsonArray();
    if (view == Views.COUNTER) {
      return out.add(new JsonArray().add((long) users.size()));
    }
    Map<String, Long> counts = new HashMap<>();
    long nulls = 0;
    for (String u : users) {
      if (u == null) {
        nulls++;
      } else {
        counts.merge(u, 1L, Long::sum);
      }
    }
    List<Map.Entry<String, Long>> entries = new ArrayList<>(counts.entrySet());
    if (nulls > 0) {
      entries.add(new java.util.AbstractMap.SimpleEntry<>(null, nulls));
    }
    entries.sort((a, b) -> {
      if (!a.getValue().equals(b.getValue())) {
        return Long.compare(b.getValue(), a.getValue());
      }
      if (a.getKey() == null || b.getKey() == null) {
        return a.getKey() == null ? (b.getKey() == null ? 0 : 1) : -1;
      }
      return java.util.Arrays.compare(a.getKey().codePoints().toArray(), b.getKey().codePoints().toArray());
    });
    int limit = view == Views.TOP10 ? Views.TOP_N : entries.size();
    for (Map.Entry<String, Long> e : entries.subList(0, Math.min(limit, entries.size()))) {
      JsonArray row = new JsonArray();
      row.add(e.getKey());
      row.add(e.getValue());
      out.add(row);
    }
    return out;
  }
}
