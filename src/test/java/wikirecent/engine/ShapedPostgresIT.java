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

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
