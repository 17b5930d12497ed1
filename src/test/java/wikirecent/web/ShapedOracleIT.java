package wikirecent.web;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.bus.ViewParams;
import wikirecent.bus.ViewParams.View;
import wikirecent.bus.ViewParams.Window;
import wikirecent.config.Config;
import wikirecent.testsupport.PostgresServer;
import wikirecent.testsupport.Wait;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every view and parameter set, end to end against PostgreSQL. A real SSE server on loopback ({@link PhasedFeed})
 * sends made-up edits whose event times the test controls; ingest appends them to the real file; the engine
 * follows the file; a web node serves REST and WebSocket streams. A stream is opened on every set on the empty
 * file and stays open to the end. At each point, once the file holds every event sent and the engine has
 * counted them all, (a) each set's REST snapshot and (b) each stream's rows (its snapshot plus every diff
 * since) must equal (c) PostgreSQL running the views' definitions, written here from the contract (the
 * parameters' meaning, the watermark, the windows), over the data lines of that same file.
 * <p>
 * Sets: counter, top10 and top_wikis over every wiki (any, the busiest, a rare one, one never seen) x bot (any,
 * true, false) x window (5m, 1h, 24h, all), edits_per_minute over every wiki, user_edits and wiki_edits: 150.
 * Points: the empty file; 1,000 steady edits (one in six late, by up to two hours, some older than a day;
 * some without a usable time); a 2 h jump; a jump of two days (every window's old content leaves: each
 * windowed set that does not match the one edit at the new time is empty), with edits without times and
 * edits older than the day; steady edits after it; a 400 s jump, then edits on the rare wiki that tie (a top 10
 * cut and an order inside a tie that differ between code-point and UTF-16 order).
 */
class ShapedOracleIT {

  static final String BUSY = "enwiki";
  static final String RARE = "rarewiki";
  static final String NEVER = "nowiki";
  private static final Duration SETTLE = Duration.ofSeconds(120);

  @TempDir
  Path dir;

  private Vertx vertx;
  private PostgresServer pg;
  private PgConnection conn;
  private PhasedFeed feed;
  private WebClient http;
  private WebSocketClient ws;

  @AfterEach
  void stop() throws Exception {
    if (ws != null) {
      ws.close();
    }
    if (http != null) {
      http.close();
    }
    if (feed != null) {
      feed.close();
    }
    if (conn != null) {
      conn.close();
    }
    if (vertx != null) {
      Wait.on(vertx.close(), Duration.ofSeconds(60));
    }
    if (pg != null) {
      pg.close();
    }
  }

  /** The 150 sets. */
  static List<ViewParams> sets() {
    List<ViewParams> out = new ArrayList<>();
    List<String> wikis = Arrays.asList(null, BUSY, RARE, NEVER);
    for (View view : List.of(View.COUNTER, View.TOP10, View.TOP_WIKIS)) {
      for (String wiki : wikis) {
        for (Boolean bot : Arrays.asList(null, true, false)) {
          for (Window window : Window.values()) {
            out.add(new ViewParams(view, wiki, bot, window));
          }
        }
      }
    }
    for (String wiki : wikis) {
      out.add(ViewParams.of(View.EDITS_PER_MINUTE).withWiki(wiki));
    }
    out.add(ViewParams.of(View.USER_EDITS));
    out.add(ViewParams.of(View.WIKI_EDITS));
    return out;
  }

  @Test
  void everySetOverRestAndStreamsEqualsPostgresAtEachPoint() throws Exception {
    pg = PostgresServer.startOrSkip();
    vertx = Vertx.vertx();
    conn = Wait.on(PgConnection.connect(vertx, pg.connectOptions()));
    Wait.on(conn.query(OracleSql.SCHEMA).execute());
    feed = PhasedFeed.start(vertx);

    JsonObject settings = new JsonObject()
      .put(Config.DATA_DIR, dir.toString())
      .put(Config.STREAM_URL, feed.url())
      .put(Config.INGEST_FSYNC_MILLIS, -1)
      .put(Config.INGEST_BACKOFF_MILLIS, 20)
      .put(Config.ENGINE_POLL_MILLIS, 50)
      .put(Config.ENGINE_BATCH_MAX_BYTES, 16 * 1024); // many batches, so the streams get many diffs
    WebNode web = WebNode.startPipeline(vertx, settings);
    http = WebClient.create(vertx);
    int port = web.port();
    Wait.until("the views to go live", Duration.ofSeconds(60),
      () -> Wait.on(rest(port, ViewParams.of(View.COUNTER)).otherwiseEmpty()) instanceof JsonObject);

    List<ViewParams> sets = sets();
    assertThat(sets).hasSize(150);
    ws = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxMessageSize(16 * 1024 * 1024)
      .setMaxConnections(sets.size())); // 50 by default
    Map<ViewParams, StreamState> streams = new LinkedHashMap<>();
    for (ViewParams p : sets) {
      streams.put(p, StreamState.open(vertx, ws, port, p));
    }

    Edits edits = new Edits(new Random(13), 1_700_000_000L);
    List<String> sent = new ArrayList<>();
    List<Map<ViewParams, List<List<Object>>>> answers = new ArrayList<>();
    answers.add(point("on the empty file", port, streams, sent.size()));

    send(edits.steady(1000), sent);
    answers.add(point("after 1,000 steady edits", port, streams, sent.size()));

    List<String> more = edits.steady(300);
    more.addAll(edits.jump(7200, 300));
    send(more, sent);
    answers.add(point("after a 2 h jump", port, streams, sent.size()));

    send(edits.dayJump(), sent);
    Map<ViewParams, List<List<Object>>> afterDayJump = point("after a two-day jump", port, streams, sent.size());
    answers.add(afterDayJump);

    send(edits.steady(600), sent);
    answers.add(point("after 600 edits past the jump, some late", port, streams, sent.size()));

    List<String> last = edits.jump(400, 150);
    last.addAll(edits.ties());
    send(last, sent);
    Map<ViewParams, List<List<Object>>> atEnd = point("after a 400 s jump and edits that tie", port, streams, sent.size());
    answers.add(atEnd);

    // The data did what the points are for: windows emptied at the jump, the rare wiki was in a window.
    Map<ViewParams, List<List<Object>>> beforeDayJump = answers.get(2);
    int emptied = 0;
    for (ViewParams p : sets) {
      if (p.window() != Window.ALL && p.view() != View.EDITS_PER_MINUTE && (p.wiki() != null || Boolean.TRUE.equals(p.bot()))) {
        assertThat(afterDayJump.get(p)).as("%s after the two-day jump", p).isEqualTo(p.view() == View.COUNTER ? List.of(List.of(0L)) : List.of());
        if (!beforeDayJump.get(p).equals(afterDayJump.get(p))) {
          emptied++;
        }
      }
    }
    assertThat(emptied).as("windowed sets that held rows before the two-day jump").isGreaterThan(30);
    assertThat(answers.stream().anyMatch(a -> !a.get(new ViewParams(View.TOP10, RARE, null, Window.HOUR)).isEmpty()))
      .as("the rare wiki within an hour at some point").isTrue();
    // Ties broken by code point, not UTF-16: U+FF3A before U+1F600 (whose surrogates sort before U+FF3A).
    assertThat(atEnd.get(new ViewParams(View.TOP10, RARE, true, Window.FIVE_MINUTES))).as("a cut inside a tie")
      .contains(List.of(Edits.FULLWIDTH, 3L)).doesNotContain(List.of(Edits.EMOJI, 3L)).hasSize(10);
    assertThat(atEnd.get(new ViewParams(View.TOP10, RARE, false, Window.FIVE_MINUTES))).as("an order inside a tie")
      .startsWith(List.of("\u00c4rger", 4L), List.of(Edits.FULLWIDTH, 4L), List.of(Edits.EMOJI, 4L));
    for (StreamState s : streams.values()) {
      assertThat(s.snapshots()).as("snapshots of %s", s.params()).isGreaterThanOrEqualTo(1);
    }
    assertThat(streams.values().stream().mapToInt(StreamState::diffs).sum()).as("diffs over all streams").isGreaterThan(1000);
  }

  private void send(List<String> events, List<String> sent) {
    feed.append(events);
    sent.addAll(events);
  }

  /**
   * Waits until the file holds every event sent and the engine has counted them all, then until every set's
   * REST snapshot and stream equal PostgreSQL's answer over the file; then checks all of them once more.
   * Returns PostgreSQL's answers.
   */
  private Map<ViewParams, List<List<Object>>> point(String when, int port, Map<ViewParams, StreamState> streams, int events)
    throws Exception {
    Path file = dir.resolve(Config.FILE_NAME);
    List<byte[]> lines = new ArrayList<>();
    Wait.until("the file to hold " + events + " events " + when, SETTLE, () -> {
      lines.clear();
      lines.addAll(dataLines(file));
      return lines.size() >= events;
    }, () -> "it holds " + lines.size());
    assertThat(lines).as("events in the file " + when).hasSize(events);
    ViewParams counter = ViewParams.of(View.COUNTER);
    Wait.until("the engine to count " + events + " events " + when, SETTLE, () -> {
      Object answer = Wait.on(rest(port, counter).otherwiseEmpty());
      return answer instanceof JsonObject snapshot && List.of(List.of((long) events)).equals(rows(snapshot));
    });

    Wait.on(conn.query("TRUNCATE rc").execute());
    List<Tuple> rows = new ArrayList<>();
    for (byte[] line : lines) {
      rows.add(Tuple.of(Buffer.buffer(line)));
    }
    if (!rows.isEmpty()) {
      Wait.on(conn.preparedQuery("INSERT INTO rc (val) SELECT convert_from($1, 'UTF8')::jsonb").executeBatch(rows), Duration.ofSeconds(60));
    }
    Map<ViewParams, List<List<Object>>> expected = new LinkedHashMap<>();
    for (ViewParams p : streams.keySet()) {
      expected.put(p, postgres(p));
    }

    Map<ViewParams, String> wrong = new LinkedHashMap<>();
    Map<ViewParams, String> unanswered = new LinkedHashMap<>();
    Map<ViewParams, Boolean> restOk = new LinkedHashMap<>();
    Wait.until("every set's REST snapshot and stream to equal PostgreSQL " + when, SETTLE, () -> {
      compare(port, streams, expected, restOk, wrong, unanswered);
      return wrong.isEmpty() && unanswered.isEmpty();
    }, () -> wrong.size() + " differ, e.g. " + wrong.values().stream().limit(4).toList() + "; " + unanswered.size()
      + " REST requests failed, e.g. " + unanswered.values().stream().limit(2).toList());
    // Quiet now: nothing may change any more. A request that got no answer (a keep-alive connection closing as
    // it was sent) is asked again, a few times.
    restOk.clear();
    for (int attempt = 1; ; attempt++) {
      compare(port, streams, expected, restOk, wrong, unanswered);
      assertThat(wrong).as("sets that changed after they had settled " + when).isEmpty();
      if (unanswered.isEmpty()) {
        break;
      }
      assertThat(attempt).as("attempts at REST requests that fail: " + unanswered.values()).isLessThan(3);
    }
    return expected;
  }

  /**
   * Compares the streams, and the REST snapshots not yet found equal; notes what differs in {@code wrong}, and
   * requests that got no HTTP answer at all in {@code unanswered}.
   */
  private void compare(int port, Map<ViewParams, StreamState> streams, Map<ViewParams, List<List<Object>>> expected,
                       Map<ViewParams, Boolean> restOk, Map<ViewParams, String> wrong, Map<ViewParams, String> unanswered) {
    wrong.clear();
    unanswered.clear();
    Map<ViewParams, Future<Object>> asked = new LinkedHashMap<>();
    for (ViewParams p : streams.keySet()) {
      if (!restOk.containsKey(p)) {
        asked.put(p, rest(port, p));
      }
    }
    Wait.on(Future.join(new ArrayList<>(asked.values())).otherwiseEmpty(), Duration.ofSeconds(60));
    for (Map.Entry<ViewParams, StreamState> e : streams.entrySet()) {
      ViewParams p = e.getKey();
      StreamState s = e.getValue();
      List<List<Object>> want = expected.get(p);
      assertThat(s.problems()).as("what did not fit the stream of %s", p).isEmpty();
      assertThat(s.isClosed()).as("the stream of %s closed", p).isFalse();
      List<List<Object>> streamRows = s.rows();
      if (streamRows == null || !sorted(streamRows).equals(sorted(want))) {
        wrong.put(p, p + ": the stream holds " + streamRows + ", PostgreSQL says " + want);
      }
      Future<Object> f = asked.get(p);
      if (f == null) {
        continue;
      }
      if (f.failed()) {
        unanswered.put(p, p + ": " + f.cause());
        continue;
      }
      Object answer = f.result();
      List<List<Object>> restRows = answer instanceof JsonObject snapshot ? rows(snapshot) : null;
      boolean ranked = p.view() == View.TOP10 || p.view() == View.TOP_WIKIS;
      if (restRows != null && (ranked ? restRows.equals(want) : sorted(restRows).equals(sorted(want)))) {
        restOk.put(p, true);
      } else {
        wrong.put(p, p + ": REST says " + (restRows == null ? answer : restRows) + ", PostgreSQL says " + want);
      }
    }
  }

  /** The set's REST answer: the snapshot on a 200, else what came (status and body); failed when no answer came. */
  private Future<Object> rest(int port, ViewParams p) {
    return http.get(port, "localhost", "/api/views/" + p).send()
      .map(r -> r.statusCode() == 200 ? r.bodyAsJsonObject() : "HTTP " + r.statusCode() + " " + r.bodyAsString());
  }

  private static List<List<Object>> rows(JsonObject snapshot) {
    List<List<Object>> out = new ArrayList<>();
    for (Object r : snapshot.getJsonArray("inserted", new JsonArray())) {
      out.add(StreamState.row((JsonArray) r));
    }
    return out;
  }

  private static List<List<Object>> sorted(List<List<Object>> rows) {
    List<List<Object>> out = new ArrayList<>(rows);
    out.sort(Comparator.comparing(Object::toString));
    return out;
  }

  private List<List<Object>> postgres(ViewParams p) {
    Long window = p.window() == Window.ALL ? null : wikirecent.testsupport.WindowLengths.seconds(p.window());
    List<List<Object>> out = new ArrayList<>();
    for (Row r : Wait.on(conn.preparedQuery(OracleSql.query(p.view())).execute(Tuple.of(p.wiki(), p.bot(), window)))) {
      List<Object> row = new ArrayList<>();
      for (int i = 0; i < r.size(); i++) {
        row.add(r.getValue(i));
      }
      out.add(row);
    }
    return out;
  }

  /** The data lines of the file's complete records, as bytes (read here, not with the product's scanner). */
  private static List<byte[]> dataLines(Path file) throws Exception {
    List<byte[]> out = new ArrayList<>();
    if (!Files.exists(file)) {
      return out;
    }
    byte[] all = Files.readAllBytes(file);
    byte[] prefix = "data: ".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    int start = 0;
    for (int i = 0; i < all.length; i++) {
      if (all[i] == '\n') {
        if (i - start >= prefix.length && Arrays.equals(all, start, start + prefix.length, prefix, 0, prefix.length)) {
          out.add(Arrays.copyOfRange(all, start + prefix.length, i));
        }
        start = i + 1;
      }
    }
    return out;
  }

  /**
   * Made-up edits around a moving event time: users whose names tie and sort differently by UTF-16 and by code
   * point, a busy wiki, a rare one, missing and odd wikis; bot missing, true, false and not the literal true;
   * times as integers, integral decimals, fractions, strings, negative or missing; late by up to two hours,
   * now and then by more than a day.
   */
  static final class Edits {
    static final String FULLWIDTH = "\uff3aed";
    static final String EMOJI = "\ud83d\ude00 Smiley";
    private static final String[] USERS = {"Alice", "alice", "Bob", "Carol", "Dave", "Eve", "Mallory", "\u00c4rger", FULLWIDTH, EMOJI, "Zo\u00eb", "Bot-Alpha", "Bot-Beta", "Bot-Gamma", "Trent", "Peggy", "Victor", "Walter", "Oscar"};
    private static final String[] WIKIS = {BUSY, BUSY, BUSY, BUSY, BUSY, BUSY, BUSY, "dewiki", "dewiki", "dewiki", "frwiki",
      "frwiki", "commonswiki", "commonswiki", "wikidatawiki", "wikidatawiki", "wikidatawiki", "eswiki"};
    private final Random random;
    private long wm;
    private int seq;

    Edits(Random random, long start) {
      this.random = random;
      this.wm = start;
    }

    /** An edit; {@code ts} is written in one of several forms (some of which are no time at all). */
    private String edit(String user, String wiki, long ts) {
      StringBuilder sb = new StringBuilder("{\"meta\":{\"id\":\"oracle-").append(seq++).append("\",\"domain\":\"test.example\"},")
        .append("\"type\":\"edit\",\"title\":\"Page ").append(random.nextInt(50)).append('"');
      if (user != null) {
        sb.append(",\"user\":").append(Json.encode(user));
      }
      if (wiki != null) {
        sb.append(",\"wiki\":").append(random.nextInt(150) == 0 ? "12" : Json.encode(wiki));
      }
      int b = random.nextInt(100);
      if (b >= 30) {
        sb.append(",\"bot\":").append(b < 60 ? "true" : b < 94 ? "false" : b < 97 ? "\"true\"" : "1");
      }
      int t = random.nextInt(100);
      if (t < 84) {
        sb.append(",\"timestamp\":").append(ts);
      } else if (t < 88) {
        sb.append(",\"timestamp\":").append(ts).append(".0");
      } else if (t < 91) {
        sb.append(",\"timestamp\":").append(ts).append(".5");
      } else if (t < 94) {
        sb.append(",\"timestamp\":\"").append(ts).append('"');
      } else if (t < 95) {
        sb.append(",\"timestamp\":-").append(ts);
      } else if (t < 96) {
        sb.append(",\"timestamp\":null");
      } // else: no timestamp
      return sb.append('}').toString();
    }

    private String user() {
      return random.nextInt(50) == 0 ? null : USERS[random.nextInt(USERS.length)];
    }

    private String wiki() {
      int w = random.nextInt(100);
      return w < 2 ? RARE : w < 3 ? null : WIKIS[random.nextInt(WIKIS.length)];
    }

    /** Time moves 0-3 s per edit; one in six is late by up to two hours, one in fifty by more than a day. */
    List<String> steady(int n) {
      List<String> out = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int late = random.nextInt(50);
        long ts;
        if (late == 0) {
          ts = wm - 86400 - random.nextInt(20000);
        } else if (late < 9) {
          ts = wm - random.nextInt(7200);
        } else {
          wm += random.nextInt(4);
          ts = wm;
        }
        out.add(edit(user(), wiki(), ts));
      }
      return out;
    }

    /** The first edit jumps {@code seconds} ahead (in an integer time), the others go on steadily. */
    List<String> jump(long seconds, int n) {
      wm += seconds;
      List<String> out = new ArrayList<>();
      out.add("{\"meta\":{\"id\":\"oracle-" + seq++ + "\"},\"user\":\"Bob\",\"wiki\":\"dewiki\",\"bot\":false,\"timestamp\":" + wm + "}");
      out.addAll(steady(n - 1));
      return out;
    }

    /**
     * On the rare wiki, now: eleven bots with three edits each (the top 10 cuts between the last two), and three
     * non-bots with four each, whose names sort differently by code point and by UTF-16.
     */
    List<String> ties() {
      List<String> out = new ArrayList<>();
      for (String user : List.of("Alice", "Bob", "Carol", "Dave", "Eve", "Mallory", "Oscar", "Peggy", "Trent", FULLWIDTH, EMOJI)) {
        for (int i = 0; i < 3; i++) {
          out.add("{\"meta\":{\"id\":\"oracle-" + seq++ + "\"},\"user\":" + Json.encode(user) + ",\"wiki\":\"" + RARE
            + "\",\"bot\":true,\"timestamp\":" + wm + "}");
        }
      }
      for (String user : List.of(EMOJI, FULLWIDTH, "\u00c4rger")) {
        for (int i = 0; i < 4; i++) {
          out.add("{\"meta\":{\"id\":\"oracle-" + seq++ + "\"},\"user\":" + Json.encode(user) + ",\"wiki\":\"" + RARE
            + "\",\"bot\":false,\"timestamp\":" + wm + "}");
        }
      }
      java.util.Collections.shuffle(out, random);
      return out;
    }

    /**
     * Two days ahead: one edit (on a wiki of its own, not a bot) at the new time, among edits without a usable
     * time and edits from before the jump (late by more than a day now), on every wiki, bots or not.
     */
    List<String> dayJump() {
      long before = wm;
      wm += 2 * 86400 + 17;
      List<String> out = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        String user = USERS[random.nextInt(USERS.length)];
        String wiki = i % 4 == 0 ? RARE : i % 4 == 1 ? BUSY : wiki();
        String bot = i % 3 == 0 ? "true" : i % 3 == 1 ? "false" : "\"true\"";
        String time = switch (i % 5) {
          case 0 -> "\"" + wm + "\"";
          case 1 -> wm + ".5";
          case 2 -> "null";
          case 3 -> Long.toString(before - random.nextInt(3600));
          default -> Long.toString(before - 3600 - random.nextInt(80000));
        };
        out.add("{\"meta\":{\"id\":\"oracle-" + seq++ + "\"},\"user\":" + Json.encode(user) + ",\"wiki\":" + Json.encode(wiki)
          + ",\"bot\":" + bot + ",\"timestamp\":" + time + "}");
      }
      out.add(20, "{\"meta\":{\"id\":\"oracle-" + seq++ + "\"},\"user\":\"Jumper\",\"wiki\":\"jumpwiki\",\"timestamp\":" + wm + "}");
      out.add("{\"meta\":{\"id\":\"oracle-" + seq++ + "\"},\"user\":\"Late\",\"wiki\":\"" + BUSY + "\",\"bot\":true}");
      return out;
    }
  }
}

