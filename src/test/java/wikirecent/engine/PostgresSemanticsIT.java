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
import wikirecent.bus.Views;
import wikirecent.ingest.EventJson;
import wikirecent.replay.Sample;
import wikirecent.testsupport.PostgresServer;

import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine's reading of {@code data::jsonb ->> 'user'} against a real PostgreSQL 15, line by line
 * (odd lines, generated lines, mutated sample lines) and for the three views' queries.
 */
class PostgresSemanticsIT {

  // The views' queries over a table of the accepted lines, top10 ordered as docs/ARCHITECTURE.md says.
  private static final String COUNTER = "SELECT count(*) FROM rc";
  private static final String USER_EDITS = "SELECT val->>'user' AS \"user\", count(*) FROM rc GROUP BY 1";
  private static final String TOP10 = "SELECT * FROM (" + USER_EDITS + ") user_edits"
    + " ORDER BY count DESC, \"user\" COLLATE \"C\" NULLS LAST LIMIT 10";
  private static final String USER_OF_LINE =
    "SELECT v ->> 'user', jsonb_typeof(v) FROM (SELECT convert_from($1, 'UTF8')::jsonb AS v) AS line";

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

  /** What PostgreSQL makes of one line: null if it refuses it, else the user and the value's jsonb_typeof. */
  private static String[] postgresUser(byte[] line) throws Exception {
    try {
      RowSet<Row> rows = conn.preparedQuery(USER_OF_LINE).execute(Tuple.of(Buffer.buffer(line))).await(30, TimeUnit.SECONDS);
      Row row = rows.iterator().next();
      return new String[]{row.getString(0), row.getString(1)};
    } catch (io.vertx.pgclient.PgException e) {
      return null;
    }
  }

  @Test
  void everyOddLineMeansWhatPostgresSays() throws Exception {
    List<byte[]> lines = new ArrayList<>();
    EventParserTest.lines().forEach(a -> lines.add(((String) a.get()[0]).getBytes(StandardCharsets.UTF_8)));
    for (List<String> list : List.of(EventLines.INVALID, EventLines.ODD_USERS, EventLines.NON_OBJECTS, EventLines.NAMES)) {
      for (String s : list) {
        lines.add(EventLines.bytes(s));
        lines.add(EventLines.bytes("{\"user\":" + s + "}"));
      }
    }
    for (String hex : new String[]{"C3", "FF", "80", "C080", "C1BF", "EDA080", "EDBFBF", "F4908080", "F5808080", "E08080", "F08080", "00", "7F", "EFBFBF", "F48FBFBF"}) {
      lines.add(EventLines.bytes("RAW:" + hex));
    }
    lines.add(EventLines.bytes("{\"user\":" + "[".repeat(EventParser.MAX_DEPTH - 1) + "]".repeat(EventParser.MAX_DEPTH - 1) + "}"));
    lines.add(EventLines.bytes("{\"user\":\"\\uFEFF\\u2028\\uD800\\uDC00\\uDBFF\\uDFFF\\u0001\\u001f\\u007f\"}"));
    lines.add(EventLines.bytes("{\"user\":{\"\\u0000a\":1}}"));
    lines.add(EventLines.bytes("{\"user\":{\"b\":\"\\u0001\\n\\t\\r\\b\\f\\\"\\\\/\",\"a\":[-0,1E400,0.00e-7,12.5e+1]}}"));
    assertAgreeLineByLine(lines);
  }

  @Test
  void generatedAndMutatedLinesMeanWhatPostgresSays() throws Exception {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    List<byte[]> lines = new ArrayList<>();
    EventLines.line().sampleStream().limit(1500).forEach(s -> lines.add(EventLines.bytes(s)));
    List<String> sample = Sample.lines();
    String[] tokens = {"\\", "\"", "\\u", "\\u0000", "\\ud800", "\\udc00", "\\ud83d\\ude00", "}", "]", "{", "[", ",", ":",
      "1e131072", "-0", "0.5e-16383", " ", "\t", "\r", "null", "\"user\":", "\"user\":1.50,", "é", "😀"};
    byte[][] rawTokens = {{(byte) 0xFF}, {(byte) 0xC3}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {0}, {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}};
    for (int i = 0; i < 1500; i++) {
      byte[] base = sample.get(random.nextInt(sample.size())).getBytes(StandardCharsets.UTF_8);
      int mutations = 1 + random.nextInt(3);
      for (int m = 0; m < mutations; m++) {
        int at = random.nextInt(base.length + 1);
        byte[] piece = random.nextInt(5) == 0 ? rawTokens[random.nextInt(rawTokens.length)]
          : tokens[random.nextInt(tokens.length)].getBytes(StandardCharsets.UTF_8);
        int cut = random.nextInt(3) == 0 ? Math.min(base.length - at, random.nextInt(4)) : 0;
        byte[] next = new byte[base.length - cut + piece.length];
        System.arraycopy(base, 0, next, 0, at);
        System.arraycopy(piece, 0, next, at, piece.length);
        System.arraycopy(base, at + cut, next, at + piece.length, base.length - at - cut);
        base = next;
      }
      lines.add(base);
    }
    try {
      assertAgreeLineByLine(lines);
    } catch (AssertionError e) {
      throw new AssertionError("mutation seed " + seed + ": " + e.getMessage(), e);
    }
  }

  /**
   * The engine reads each line as PostgreSQL does; and ingest (which shares the check) would write exactly the
   * lines PostgreSQL's {@code ::jsonb} accepts as an object, so none it writes can fail Materialize's cast.
   */
  private static void assertAgreeLineByLine(List<byte[]> lines) throws Exception {
    EventParser parser = new EventParser();
    int valid = 0;
    for (byte[] line : lines) {
      String[] expected = postgresUser(line);
      boolean ours = parser.parse(line, 0, line.length);
      String shown = new String(line, StandardCharsets.UTF_8);
      shown = shown.length() > 300 ? shown.substring(0, 300) + "..." : shown;
      assertThat(ours).as("valid per PostgreSQL: %s", shown).isEqualTo(expected != null);
      EventJson.Inspection ingest = EventJson.inspect(line);
      assertThat(ingest.kind() != EventJson.Kind.INVALID)
        .as("ingest takes %s (%s) iff PostgreSQL's jsonb accepts it as an object", shown, ingest.reason())
        .isEqualTo(expected != null && "object".equals(expected[1]));
      if (expected != null) {
        valid++;
        assertThat(parser.user()).as("user of %s", shown).isEqualTo(expected[0]);
      }
    }
    assertThat(valid).as("some lines are valid").isPositive();
    assertThat(lines.size() - valid).as("some lines are invalid").isPositive();
  }

  @Test
  void theViewsEqualTheSeedsQueries() throws Exception {
    List<byte[]> lines = new ArrayList<>();
    for (String s : Sample.lines()) {
      lines.add(s.getBytes(StandardCharsets.UTF_8));
    }
    // Oddities spread through the sample, and 110 events each for names in every script: with the
    // sample's counts that makes the 10th place a tie among them, and NULL (110 + 7 non-objects)
    // ties with QuickStatementsBot's 117 and must come after it.
    Random random = new Random(42);
    List<String> odd = new ArrayList<>();
    odd.addAll(EventLines.INVALID);
    odd.addAll(EventLines.NON_OBJECTS);
    for (String u : EventLines.ODD_USERS) {
      odd.add("{\"user\":" + u + "}");
    }
    for (String u : EventLines.NAMES) {
      for (int k = 0; k < 110; k++) {
        odd.add("{\"user\":" + u + "}");
      }
    }
    for (int k = 0; k < 110; k++) {
      odd.add("{\"user\":null}");
    }
    for (String o : odd) {
      lines.add(random.nextInt(lines.size()), EventLines.bytes(o));
    }

    conn.query("DROP TABLE IF EXISTS rc").execute().await(30, TimeUnit.SECONDS);
    conn.query("CREATE TABLE rc (val jsonb)").execute().await(30, TimeUnit.SECONDS);
    ViewState state = new ViewState();
    long rejected = 0;
    for (byte[] line : lines) {
      boolean ours = state.applyLine(line, 0, line.length);
      boolean theirs;
      try {
        conn.preparedQuery("INSERT INTO rc (val) SELECT convert_from($1, 'UTF8')::jsonb")
          .execute(Tuple.of(Buffer.buffer(line))).await(30, TimeUnit.SECONDS);
        theirs = true;
      } catch (io.vertx.pgclient.PgException e) {
        theirs = false;
        rejected++;
      }
      assertThat(ours).as("accepted by both or neither: %s", new String(line, StandardCharsets.UTF_8)).isEqualTo(theirs);
    }
    assertThat(state.skipped()).isEqualTo(rejected).isPositive();

    long count = conn.query(COUNTER).execute().await(30, TimeUnit.SECONDS).iterator().next().getLong(0);
    Map<String, Long> userEdits = new HashMap<>();
    for (Row r : conn.query(USER_EDITS).execute().await(30, TimeUnit.SECONDS)) {
      userEdits.put(r.getString(0), r.getLong(1));
    }
    List<Map.Entry<String, Long>> top10 = new ArrayList<>();
    for (Row r : conn.query(TOP10).execute().await(30, TimeUnit.SECONDS)) {
      top10.add(new AbstractMap.SimpleImmutableEntry<>(r.getString(0), r.getLong(1)));
    }
    assertThat(state.rows(Views.COUNTER).getJsonArray(0).getLong(0)).isEqualTo(count);
    assertThat(Oracle.userEditsOf(state.rows(Views.USER_EDITS))).isEqualTo(userEdits);
    assertThat(Oracle.top10Of(state.rows(Views.TOP10))).isEqualTo(top10);
    // the data does reach the tie it was built for: NULL after the name with the same count
    assertThat(top10.get(8)).isEqualTo(new AbstractMap.SimpleImmutableEntry<>("QuickStatementsBot", 117L));
    assertThat(top10.get(9)).isEqualTo(new AbstractMap.SimpleImmutableEntry<String, Long>(null, 117L));
  }
}
