package wikirecent.engine;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import wikirecent.bus.ViewParams;
import wikirecent.replay.Sample;
import wikirecent.testsupport.PostgresServer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What shaped views filter on, line by line against a real PostgreSQL 15: the queries below are the
 * definitions of wiki, bot and ts; the engine's {@link EventParser} must read every line the same way.
 */
class ShapedPostgresIT {

  static final String WIKI = "val->>'wiki'";
  static final String BOT = "COALESCE(val->'bot' = 'true'::jsonb, false)";
  static final String NUM = "CASE WHEN jsonb_typeof(val->'timestamp') = 'number' THEN (val->>'timestamp')::numeric END";
  static final String TS = "CASE WHEN n BETWEEN 0 AND 9007199254740991 AND n = trunc(n) THEN n::bigint END";
  private static final String FIELDS_OF_LINE = "SELECT " + WIKI + ", " + BOT + ", " + TS
    + " FROM (SELECT val, " + NUM + " AS n FROM (SELECT convert_from($1, 'UTF8')::jsonb AS val) l) m";

  private static PostgresServer pg;
  private static Vertx vertx;
  private static PgConnection conn;

  @BeforeAll
  static void start() throws Exception {
    pg = PostgresServer.startOrSkip();
    vertx = Vertx.vertx();
    conn = PgConnection.connect(vertx, pg.connectOptions()).await(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    if (conn != null) {
      conn.close().await(10, TimeUnit.SECONDS);
    }
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    if (pg != null) {
      pg.close();
    }
  }

  @Test
  void wikiBotAndTimestampMeanWhatPostgresSays() throws Exception {
    List<byte[]> lines = new ArrayList<>();
    EventParserTest.shapedFields().forEach(a -> lines.add(bytes((String) a.get()[0])));
    for (String s : Sample.lines()) {
      lines.add(bytes(s));
    }
    String[] values = {"\"enwiki\"", "null", "true", "false", "\"true\"", "1", "0", "-0", "-0.0", "1.0e3", "15.0", "1.5",
      "-1", "1e-3", "9007199254740991", "9007199254740992", "9.007199254740991e15", "1e20", "1e131071",
      "12345678901234567890", "{\"a\":true}", "[true]", "[]", "\"x\\u00e9\"", "1520439377", "1520439377.0", "0.0e9"};
    Random random = new Random(7);
    for (int i = 0; i < 400; i++) {
      StringBuilder sb = new StringBuilder("{");
      int keys = 1 + random.nextInt(5);
      for (int k = 0; k < keys; k++) {
        String key = new String[]{"wiki", "bot", "timestamp", "user", "meta"}[random.nextInt(5)];
        sb.append(k == 0 ? "" : ",").append('"').append(key).append("\":").append(values[random.nextInt(values.length)]);
      }
      lines.add(bytes(sb.append('}').toString()));
    }
    EventParser parser = new EventParser();
    for (byte[] line : lines) {
      String shown = new String(line, StandardCharsets.UTF_8);
      assertThat(parser.parse(line, 0, line.length)).as("valid: %s", shown).isTrue();
      RowSet<Row> rows = conn.preparedQuery(FIELDS_OF_LINE).execute(Tuple.of(Buffer.buffer(line))).await(30, TimeUnit.SECONDS);
      Row row = rows.iterator().next();
      assertThat(parser.wiki()).as("wiki of %s", shown).isEqualTo(row.getString(0));
      assertThat(parser.bot()).as("bot of %s", shown).isEqualTo(row.getBoolean(1));
      Long ts = row.getLong(2);
      assertThat(parser.ts()).as("ts of %s", shown).isEqualTo(ts == null ? EventParser.NO_TS : ts);
    }
  }

  /**
   * Every view over odd but valid lines (numbers and objects as wikis, strings and numbers as bot, times as
   * decimals, late, missing, out of range) equals its definition run by PostgreSQL over the same lines.
   */
  @Test
  void everyViewEqualsItsQuery() throws Exception {
    Random random = new Random(11);
    String[] users = {"\"Alice\"", "\"Bob\"", "\"bob\"", "\"\u00c4rger\"", "\"\ud83d\ude00\"", "null", "1.50", "\"Carol\"",
      "\"Dave\"", "\"Eve\"", "\"Frank\"", "\"Grace\"", "\"Heidi\"", "\"Ivan\"", "\"Judy\""};
    String[] wikis = {"\"enwiki\"", "\"enwiki\"", "\"dewiki\"", "1e2", "null", "{\"a\":1}", "\"w1\"", "\"w2\"", "\"w3\"",
      "\"w4\"", "\"w5\"", "\"w6\"", "\"w7\"", "\"w8\"", "\"w9\""};
    String[] bots = {"true", "false", "false", "\"true\"", "1", "null"};
    ShapedCore core = new ShapedCore();
    EventParser parser = new EventParser();
    conn.query("DROP TABLE IF EXISTS rc").execute().await(30, TimeUnit.SECONDS);
    conn.query("CREATE TABLE rc (val jsonb)").execute().await(30, TimeUnit.SECONDS);
    List<Tuple> rows = new ArrayList<>();
    long wm = 1_700_000_000L;
    for (int i = 0; i < 4000; i++) {
      int kind = random.nextInt(20);
      long ts = kind < 12 ? (wm += random.nextInt(3)) : kind < 17 ? wm - random.nextInt(4000) : kind < 18 ? wm + 3600 : -1;
      wm = Math.max(wm, ts);
      String time = ts < 0 ? "\"later\"" : random.nextInt(10) == 0 ? ts + ".0" : random.nextInt(10) == 0 ? ts + ".5" : Long.toString(ts);
      String line = "{\"user\":" + users[random.nextInt(users.length)] + ",\"wiki\":" + wikis[random.nextInt(wikis.length)]
        + ",\"bot\":" + bots[random.nextInt(bots.length)] + ",\"timestamp\":" + time + "}";
      byte[] b = bytes(line);
      assertThat(parser.parse(b, 0, b.length)).isTrue();
      core.apply(parser);
      rows.add(Tuple.of(Buffer.buffer(b)));
    }
    conn.preparedQuery("INSERT INTO rc (val) SELECT convert_from($1, 'UTF8')::jsonb").executeBatch(rows).await(60, TimeUnit.SECONDS);

    List<ViewParams> params = new ArrayList<>();
    for (ViewParams.View view : ViewParams.View.values()) {
      for (String wiki : java.util.Arrays.asList(null, "enwiki", "100", "w9", "nowiki")) {
        for (Boolean bot : java.util.Arrays.asList(null, true, false)) {
          for (ViewParams.Window window : ViewParams.Window.values()) {
            try {
              params.add(new ViewParams(view, wiki, bot, window));
            } catch (IllegalArgumentException e) {
              // not a parameter set of this view
            }
          }
        }
      }
    }
    assertThat(params).hasSizeGreaterThan(150);
    for (ViewParams p : params) {
      core.open(p, 0);
      List<List<Object>> expected = new ArrayList<>();
      Long window = p.window() == ViewParams.Window.ALL ? null : wikirecent.testsupport.WindowLengths.seconds(p.window());
      for (Row r : conn.preparedQuery(query(p.view())).execute(Tuple.of(p.wiki(), p.bot(), window)).await(30, TimeUnit.SECONDS)) {
        List<Object> row = new ArrayList<>();
        for (int i = 0; i < r.size(); i++) {
          row.add(r.getValue(i));
        }
        expected.add(row);
      }
      ShapedCorePropertyTest.assertRows(p, ShapedModel.plain(core.rows(p)), expected);
    }
  }

  /** The view's definition over table {@code rc (val jsonb)}, with $1 wiki, $2 bot, $3 the window's seconds (null: any / all). */
  static String query(ViewParams.View view) {
    String matching = "WITH ev AS (SELECT val->>'user' AS \"user\", " + WIKI + " AS wiki, " + BOT + " AS bot, " + TS + " AS ts"
      + " FROM (SELECT val, " + NUM + " AS n FROM rc) m),"
      + " matching AS (SELECT * FROM ev WHERE ($1::text IS NULL OR wiki = $1) AND ($2::boolean IS NULL OR bot = $2)"
      + " AND ($3::bigint IS NULL OR ts > (SELECT max(ts) FROM ev) - $3)) ";
    return matching + switch (view) {
      case COUNTER -> "SELECT count(*) FROM matching";
      case USER_EDITS -> "SELECT \"user\", count(*) FROM matching GROUP BY 1";
      case TOP10 -> "SELECT \"user\", count(*) FROM matching GROUP BY 1 ORDER BY 2 DESC, \"user\" COLLATE \"C\" NULLS LAST LIMIT 10";
      case TOP_WIKIS -> "SELECT wiki, count(*) FROM matching GROUP BY 1 ORDER BY 2 DESC, wiki COLLATE \"C\" NULLS LAST LIMIT 10";
      case EDITS_PER_MINUTE -> "SELECT ts - ts % 60, bot, count(*) FROM matching GROUP BY 1, 2 ORDER BY 1, 2";
      case WIKI_EDITS -> "SELECT wiki, count(*) FROM matching GROUP BY 1";
    };
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
