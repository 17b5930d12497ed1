package wikirecent.tail;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import wikirecent.bus.ViewParams;
import wikirecent.engine.ShapedCore;
import wikirecent.replay.Sample;
import wikirecent.testsupport.PostgresServer;
import wikirecent.testsupport.Wait;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code sql/views.sql} run by a real PostgreSQL 15, which has neither FILE sources nor
 * {@code mz_logical_timestamp()}: the source becomes a table of {@code data} lines, the clock a SQL
 * function reading a setting the test moves, and every view a plain view (PostgreSQL has no
 * {@code CREATE VIEW IF NOT EXISTS}, and a plain view sees the moved clock at once). Everything else
 * is the file as Materialize gets it. Over odd but valid lines and the recorded sample, at clocks
 * around the newest event, every view the tail's table names holds what {@link MzModel} computes
 * from the contract's definitions; at a clock equal to the newest event time, the shaped sets also
 * equal the embedded engine's. What this cannot check: Materialize's own dialect and planner (its
 * temporal filters, its jsonb parser), which only a real Materialize shows.
 */
class ViewsSqlPostgresIT {

  private static PostgresServer pg;
  private static Vertx vertx;
  private static PgConnection conn;

  @BeforeAll
  static void start() {
    pg = PostgresServer.startOrSkip();
    vertx = Vertx.vertx();
    conn = Wait.on(PgConnection.connect(vertx, pg.connectOptions()));
  }

  @AfterAll
  static void stop() {
    if (conn != null) {
      Wait.on(conn.close());
    }
    if (vertx != null) {
      Wait.on(vertx.close());
    }
    if (pg != null) {
      pg.close();
    }
  }

  @Test
  void everyServedViewHoldsItsSetAtEveryClock() {
    List<String> statements = SqlScript.load("/sql/views.sql");
    assertThat(statements.get(0)).startsWith("CREATE SOURCE IF NOT EXISTS wikirecent");
    long wm = 1_700_000_000L;
    List<String> lines = oddLines(wm);
    lines.addAll(Sample.lines());
    List<MzModel.Event> events = lines.stream().map(MzModel.Event::of).toList();
    wm = events.stream().mapToLong(MzModel.Event::ts).max().orElseThrow();
    run("CREATE TABLE wikirecent (data text)");
    Wait.on(conn.preparedQuery("INSERT INTO wikirecent (data) VALUES ($1)").executeBatch(lines.stream().map(Tuple::of).toList()));
    run("CREATE FUNCTION mz_logical_timestamp() RETURNS numeric LANGUAGE sql AS $$ SELECT current_setting('mz.clock')::numeric $$");
    for (String s : statements.subList(1, statements.size())) {
      // What does not depend on the clock is computed once (as PostgreSQL's materialized views are); the rest as plain views.
      boolean once = s.startsWith("CREATE VIEW IF NOT EXISTS shaped_events ") || s.startsWith("CREATE MATERIALIZED VIEW IF NOT EXISTS shaped_all ");
      run(s.replaceFirst("^CREATE (MATERIALIZED )?VIEW IF NOT EXISTS ", once ? "CREATE MATERIALIZED VIEW " : "CREATE VIEW "));
    }

    long[] clocks = {
      wm * 1000,                // the newest event's time: as the embedded engine's windows
      wm * 1000 - 1,            // a hair earlier: events at wm - W are in again
      (wm - 700) * 1000 + 345,  // before the newest events: those later than the clock count too
      (wm + 150) * 1000,        // half of the last five minutes has left
      (wm + 3000) * 1000,       // the five minutes are empty, the hour is not
      (wm + 3600) * 1000,       // the hour ends exactly at the newest event
      (wm + 86_400) * 1000 - 1, // the newest event's last millisecond in the day
      (wm + 86_400) * 1000,     // every window is empty; window=all is not
    };
    int compared = 0;
    for (long clock : clocks) {
      run("SET mz.clock = '" + clock + "'");
      for (ServedSets.Served set : ServedSets.all()) {
        List<List<Object>> expected = MzModel.rows(set.sqlView(), events, clock);
        assertThat(select(set.sqlView())).as("%s (%s) at %d", set.key(), set.sqlView(), clock).isEqualTo(sorted(expected));
        compared++;
      }
    }
    assertThat(compared).isEqualTo(clocks.length * 39);

    // With the clock at the newest event, the clock's windows are the embedded engine's.
    ShapedCore core = new ShapedCore();
    events.forEach(e -> core.apply(e.user(), e.wiki(), e.bot(), e.ts()));
    run("SET mz.clock = '" + wm * 1000 + "'");
    for (ServedSets.Served set : ServedSets.all()) {
      if (set.viewName().equals(ViewParams.View.WIKI_EDITS.viewName()) || set.viewName().equals("user_edits")) {
        continue; // not in the engine's shaped core
      }
      ViewParams p = ViewParams.parse(set.key());
      core.open(p, 0);
      assertThat(select(set.sqlView())).as("%s against the engine", set.key()).isEqualTo(sorted(plain(core.rows(p))));
    }
  }

  // --- helpers

  private static List<String> oddLines(long wm) {
    Random random = new Random(23);
    String[] users = {"\"Alice\"", "\"Bob\"", "\"bob\"", "\"\u00c4rger\"", "\"\ud83d\ude00\"", "null", "1.50", "\"Carol\"",
      "\"Dave\"", "\"Eve\"", "\"Frank\"", "\"Grace\"", "\"Heidi\"", "\"Ivan\"", "\"Judy\"", "\"Mallory\""};
    String[] wikis = {"\"enwiki\"", "\"enwiki\"", "\"dewiki\"", "1e2", "null", "{\"a\":1}", "\"w1\"", "\"w2\"", "\"w3\"",
      "\"w4\"", "\"w5\"", "\"w6\"", "\"w7\"", "\"w8\"", "\"w9\"", "\"\u00e9wiki\""};
    String[] bots = {"true", "false", "false", "\"true\"", "1", "null"};
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      int kind = random.nextInt(20);
      long ts = kind < 8 ? wm - random.nextInt(600) : kind < 12 ? wm - random.nextInt(4000) : kind < 17 ? wm - random.nextInt(90_000) : -1;
      String time = ts < 0 ? new String[]{"\"later\"", "1e20", "-5", "null", "9007199254740992"}[random.nextInt(5)]
        : random.nextInt(10) == 0 ? ts + ".0" : random.nextInt(12) == 0 ? ts + ".5" : Long.toString(ts);
      StringBuilder line = new StringBuilder("{\"user\":").append(users[random.nextInt(users.length)])
        .append(",\"wiki\":").append(wikis[random.nextInt(wikis.length)]);
      if (random.nextInt(8) != 0) {
        line.append(",\"bot\":").append(bots[random.nextInt(bots.length)]);
      }
      lines.add(line.append(",\"timestamp\":").append(time).append('}').toString());
    }
    lines.add("{\"timestamp\":" + wm + "}"); // the newest time is in the file, exactly
    lines.add("[1, 2]");
    lines.add("\"just a string\"");
    return lines;
  }

  private static void run(String sql) {
    Wait.on(conn.query(sql).execute());
  }

  private static Object scalar(String sql) {
    return Wait.on(conn.query(sql).execute()).iterator().next().getValue(0);
  }

  private static List<List<Object>> select(String view) {
    List<List<Object>> out = new ArrayList<>();
    for (Row r : Wait.on(conn.query("SELECT * FROM " + view).execute())) {
      List<Object> row = new ArrayList<>();
      for (int i = 0; i < r.size(); i++) {
        row.add(r.getValue(i));
      }
      out.add(row);
    }
    return sorted(out);
  }

  private static List<List<Object>> plain(io.vertx.core.json.JsonArray rows) {
    List<List<Object>> out = new ArrayList<>();
    for (Object r : rows) {
      List<Object> row = new ArrayList<>();
      for (Object v : (io.vertx.core.json.JsonArray) r) {
        row.add(v instanceof Integer i ? Long.valueOf(i) : v);
      }
      out.add(row);
    }
    return out;
  }

  // Rows compared as a multiset: the order of a view's rows is not part of it.
  private static List<List<Object>> sorted(List<List<Object>> rows) {
    List<List<Object>> out = new ArrayList<>(rows);
    out.sort(Comparator.comparing(Object::toString));
    return out;
  }
}
