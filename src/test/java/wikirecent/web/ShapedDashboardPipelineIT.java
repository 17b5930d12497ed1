package wikirecent.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WindowType;
import wikirecent.bus.Addresses;
import wikirecent.bus.ViewMessage;
import wikirecent.config.Config;
import wikirecent.engine.EngineVerticle;
import wikirecent.ingest.IngestVerticle;
import wikirecent.replay.ReplayOptions;
import wikirecent.replay.ReplayServer;
import wikirecent.replay.Sample;
import wikirecent.testsupport.PostgresServer;
import wikirecent.testsupport.Wait;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static wikirecent.web.DashboardPage.COUNTER;
import static wikirecent.web.DashboardPage.MINUTES;
import static wikirecent.web.DashboardPage.PANELS;
import static wikirecent.web.DashboardPage.TOP10;
import static wikirecent.web.DashboardPage.WIKIS;

/**
 * The shaped dashboard end to end, in a real headless Chromium: the replay server on loopback serves a
 * recording (real sample events with wiki, user, bot flag and event time rewritten so every choice has a
 * different answer, a few odd ones among them), ingest appends it to the file, the engine follows the file,
 * the web node serves the page. Once the whole recording is in the file, ingest is stopped (the file stays
 * quiet) and PostgreSQL loads the file's events and answers each parameter set with the contract's SQL
 * (written here, apart from the engine). A person then picks a wiki with the keyboard, switches editors
 * and window; after each step the counter, the top 10, the top wikis and the minute chart equal
 * PostgreSQL's answer; the URL carries the choice and a fresh page from it shows the same.
 */
class ShapedDashboardPipelineIT {

  static final long WM = 1_700_000_037L; // the newest event time in the recording (not a minute's start)
  static final int EVENTS = 4000;
  static final String HOSTILE_USER = "<img src=x onerror=alert(1)>";
  static final String HOSTILE_WIKI = "<b onmouseover=alert(2)>wiki";
  static final String[] WIKIS_USED = {"enwiki", "dewiki", "dewiktionary", "commonswiki", "wikidatawiki", "frwiki", "eswiki",
    "jawiki", "itwiki", "nlwiki", "plwiki", "zh_min_nanwiki", HOSTILE_WIKI};
  static final int[] WEIGHTS = {26, 18, 4, 12, 11, 7, 5, 4, 3, 3, 3, 2, 1};
  static final String[] BOTS = {"ArchiveBot", "LinkBot", "CleanupBot", "InternetArchiveBot"};
  static final Duration PATIENCE = Duration.ofSeconds(120);

  private static Browser browser;
  private static PostgresServer pg;
  private Vertx vertx;
  private Path dir;
  private ReplayServer replay;
  private WebNode web;
  private JsonObject config;
  private Path file;
  private List<String> recorded;
  private PgConnection sql;
  private DashboardPage page;
  private final Map<String, JsonArray> oracle = new HashMap<>();

  @BeforeAll
  static void startTools() throws Exception {
    Browser.requireChromium();
    pg = PostgresServer.startOrSkip();
    browser = Browser.start();
  }

  @AfterAll
  static void stopTools() throws Exception {
    if (browser != null) {
      browser.close();
    }
    if (pg != null) {
      pg.close();
    }
  }

  @BeforeEach
  void startPipeline() throws Exception {
    vertx = Vertx.vertx();
    dir = Files.createTempDirectory("wikirecent-shaped-pipeline");
    file = dir.resolve(Config.FILE_NAME);
    recorded = recording(EVENTS);
    replayAndWait(recorded);
    web = Wait.on(WebNode.start(vertx, null));
    page = new DashboardPage(browser);
    browser.viewport(1280, 900, false);
  }

  /**
   * The replay server serves these events (what it served before, then more), ingest takes them in (resuming
   * after the file's last id), the engine counts them all; then ingest stops, so the file is quiet, and
   * PostgreSQL loads what the file holds.
   */
  private void replayAndWait(List<String> events) throws Exception {
    if (replay != null) {
      Wait.on(replay.close());
    }
    Path recording = dir.resolve("recording.jsonl");
    Files.write(recording, events);
    replay = Wait.on(ReplayServer.start(vertx, new ReplayOptions().host("127.0.0.1").port(0).rate(0).file(recording)));
    JsonObject conf = Config.load(new JsonObject()
      .put(Config.DATA_DIR, dir.toString())
      .put(Config.STREAM_URL, replay.url())
      .put(Config.INGEST_FSYNC_MILLIS, -1), Map.of());
    if (config == null) {
      Wait.on(vertx.deployVerticle(new EngineVerticle(),
        new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER).setConfig(conf)));
    }
    config = conf;
    String ingest = Wait.on(vertx.deployVerticle(new IngestVerticle(), new DeploymentOptions().setConfig(conf)));
    Wait.until("the engine has counted every event replayed", PATIENCE, () -> engineCount() == events.size(),
      () -> "the engine counts " + engineCount() + " of " + events.size());
    Wait.on(vertx.undeploy(ingest)); // the file stays as it is from now on
    List<String> inFile = events(file);
    assertThat(inFile).hasSize(events.size());
    loadIntoPostgres(inFile);
  }

  /** The engine's default counter, asked on the bus (-1 while it is catching up). */
  private long engineCount() {
    try {
      JsonObject snapshot = vertx.eventBus().<JsonObject>request(Addresses.snapshot("counter"), null).await(10, TimeUnit.SECONDS).body();
      JsonArray rows = snapshot.getJsonArray(ViewMessage.INSERTED);
      return rows.isEmpty() ? 0 : rows.getJsonArray(0).getLong(0);
    } catch (Exception e) {
      return -1;
    }
  }

  @AfterEach
  void stopPipeline() throws Exception {
    browser.screenshot("ShapedDashboardPipelineIT/last");
    if (sql != null) {
      sql.close().await(30, TimeUnit.SECONDS);
    }
    if (replay != null) {
      Wait.on(replay.close());
    }
    Wait.on(vertx.close());
  }

  @Test
  void pickAWikiToggleBotsAndChangeTheWindowTheDashboardShowsPostgresAnswerAndTheUrlRoundTrips() throws Exception {
    // The recording gives every step its own answer: otherwise a page stuck on the last one would pass.
    String wiki = pickable().get(1);
    List<Long> counts = new ArrayList<>();
    for (String w : List.of("5m", "1h", "24h", "all")) {
      counts.add(count(new ShapedDashboardScenarios.Choice(wiki, null, w)));
    }
    assertThat(counts).as("5m < 1h < 24h < all on " + wiki).isSorted().doesNotHaveDuplicates();
    assertThat(count(new ShapedDashboardScenarios.Choice(wiki, true, "all")))
      .isNotEqualTo(count(new ShapedDashboardScenarios.Choice(wiki, false, "all")));

    browser.open(web.url("/"));
    live();
    showsPostgresAnswer(ShapedDashboardScenarios.Choice.DEFAULT);

    // The picker: two letters typed, the wikis of the file as suggestions (most edited first), arrow down, Enter.
    String typed = wiki.substring(0, 2);
    List<String> suggestions = ShapedDashboardScenarios.suggestionsFor(pickable(), typed);
    assertThat(suggestions).hasSizeGreaterThan(1).startsWith(wiki);
    page.typeWiki(typed);
    Wait.until("the suggestions for '" + typed + "'", PATIENCE, () -> page.suggestions().equals(suggestions),
      () -> page.suggestions() + " vs " + suggestions);
    page.press(Keys.ARROW_DOWN, Keys.ENTER);
    showsPostgresAnswer(new ShapedDashboardScenarios.Choice(wiki, null, "all"));
    browser.screenshot("ShapedDashboardPipelineIT/wiki");

    // Editors: humans, bots, all; then humans through every window.
    page.clickOption("bot", "false");
    showsPostgresAnswer(new ShapedDashboardScenarios.Choice(wiki, false, "all"));
    page.clickOption("bot", "true");
    showsPostgresAnswer(new ShapedDashboardScenarios.Choice(wiki, true, "all"));
    page.clickOption("bot", "any");
    showsPostgresAnswer(new ShapedDashboardScenarios.Choice(wiki, null, "all"));
    page.clickOption("bot", "false");
    for (String w : List.of("5m", "1h", "24h", "all")) {
      page.clickOption("window", w);
      showsPostgresAnswer(new ShapedDashboardScenarios.Choice(wiki, false, w));
    }
    page.clickOption("window", "1h");
    ShapedDashboardScenarios.Choice chosen = new ShapedDashboardScenarios.Choice(wiki, false, "1h");
    showsPostgresAnswer(chosen);
    browser.screenshot("ShapedDashboardPipelineIT/wiki-humans-1h");

    // The URL carries the canonical query; a fresh page from it shows the same choice and numbers.
    String url = browser.driver().getCurrentUrl();
    assertThat(url).isEqualTo(web.url("/?wiki=" + wiki + "&bot=false&window=1h"));
    String first = browser.driver().getWindowHandle();
    browser.driver().switchTo().newWindow(WindowType.TAB);
    browser.open(url);
    live();
    showsPostgresAnswer(chosen);
    browser.screenshot("ShapedDashboardPipelineIT/round-trip");
    browser.driver().close();
    browser.driver().switchTo().window(first);

    // Live: twelve more minutes of edits come in; the windows and the hour move on, and the page follows.
    JsonArray minutesBefore = answer(chosen.key("edits_per_minute"));
    long countBefore = count(chosen);
    List<String> more = new ArrayList<>(recorded);
    more.addAll(later(600, 720));
    replayAndWait(more);
    assertThat(newestMinute(answer("edits_per_minute"))).isGreaterThan(newestMinute(minutesBefore));
    assertThat(count(chosen)).isNotEqualTo(countBefore);
    showsPostgresAnswer(chosen);
    assertThat(page.minuteRows().stream().map(r -> ((JsonArray) r).getLong(0)))
      .as("minutes that left the hour").doesNotContain(((JsonArray) minutesBefore.getValue(0)).getLong(0));
    browser.screenshot("ShapedDashboardPipelineIT/after-more-edits");

    // Another wiki (typed in full) and back to every wiki: the minute chart follows.
    String other = pickable().get(0);
    page.clearWikiText();
    page.typeWiki(other, Keys.ENTER);
    showsPostgresAnswer(new ShapedDashboardScenarios.Choice(other, false, "1h"));
    browser.driver().findElement(org.openqa.selenium.By.id("wiki-clear")).click();
    page.clickOption("bot", "any");
    page.clickOption("window", "all");
    showsPostgresAnswer(ShapedDashboardScenarios.Choice.DEFAULT);

    assertThat(browser.alerts()).as("names are text, never markup").isEmpty();
    assertThat(browser.policyViolations()).isEmpty();
  }

  private void live() {
    Wait.until("the page is live", PATIENCE, () -> "live".equals(browser.connState()), () -> "state " + browser.connState());
  }

  /** Every panel follows the choice and shows what PostgreSQL answers for it; the URL and the controls say the choice. */
  private void showsPostgresAnswer(ShapedDashboardScenarios.Choice c) throws Exception {
    Map<String, String> keys = new LinkedHashMap<>();
    keys.put(COUNTER, c.key("counter"));
    keys.put(TOP10, c.key("top10"));
    keys.put(WIKIS, c.key("top_wikis"));
    keys.put(MINUTES, c.key("edits_per_minute"));
    Wait.until("the panels follow " + c, PATIENCE, () -> page.keys().equals(keys), () -> String.valueOf(page.keys()));
    long count = answer(keys.get(COUNTER)).getJsonArray(0).getLong(0);
    JsonArray top10 = answer(keys.get(TOP10));
    JsonArray topWikis = answer(keys.get(WIKIS));
    JsonArray minutes = answer(keys.get(MINUTES));
    Long lastMinute = newestMinute(answer("edits_per_minute"));
    Wait.until("the panels show PostgreSQL's answer for " + c, PATIENCE,
      () -> PANELS.stream().allMatch(p -> "live".equals(page.state(p)))
        && page.count() == count
        && page.bars("chart").equals(top10)
        && page.bars("wikis").equals(topWikis)
        && page.minuteRows().equals(minutes)
        && Objects.equals(page.minuteEnd(), lastMinute),
      () -> "states " + PANELS.stream().map(p -> p + "=" + page.state(p) + "/" + page.errorCode(p)).toList()
        + "\ncounter " + page.count() + " vs " + count
        + "\ntop10 " + page.bars("chart") + " vs " + top10
        + "\ntop wikis " + page.bars("wikis") + " vs " + topWikis
        + "\nminutes " + page.minuteRows() + " ending " + page.minuteEnd() + " vs " + minutes + " ending " + lastMinute);
    assertThat(page.search()).isEqualTo(c.query().isEmpty() ? "" : "?" + c.query());
    assertThat(page.wikiText()).isEqualTo(c.wiki() == null ? "" : c.wiki());
    assertThat(page.checked("bot")).isEqualTo(c.bot() == null ? "any" : c.bot().toString());
    assertThat(page.checked("window")).isEqualTo(c.window());
    assertThat(PANELS.stream().map(page::errorCode).filter(Objects::nonNull)).isEmpty();
  }

  private static Long newestMinute(JsonArray rows) {
    Long last = null;
    for (Object r : rows) {
      long m = ((JsonArray) r).getLong(0);
      last = last == null ? m : Math.max(last, m);
    }
    return last;
  }

  private long count(ShapedDashboardScenarios.Choice c) throws Exception {
    return answer(c.key("counter")).getJsonArray(0).getLong(0);
  }

  /** The wiki codes in the file a person can pick, most edited first (then by code). */
  private List<String> pickable() throws Exception {
    List<String> out = new ArrayList<>();
    for (Object r : answer("wiki_edits")) {
      Object w = ((JsonArray) r).getValue(0);
      if (w instanceof String s && s.matches("[a-z0-9_]{1,64}")) {
        out.add(s);
      }
    }
    return out;
  }

  // ---- the oracle: PostgreSQL over the file's events, with the contract's definitions

  /** The data of every record in the file, in order. */
  private static List<String> events(Path file) throws Exception {
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (line.startsWith("data: ")) {
        out.add(line.substring("data: ".length()));
      }
    }
    return out;
  }

  private void loadIntoPostgres(List<String> events) throws Exception {
    sql = PgConnection.connect(vertx, pg.connectOptions()).await(60, TimeUnit.SECONDS);
    sql.query("DROP TABLE IF EXISTS rc").execute().await(60, TimeUnit.SECONDS);
    sql.query("CREATE TABLE rc (val jsonb)").execute().await(60, TimeUnit.SECONDS);
    List<Tuple> rows = new ArrayList<>();
    for (String e : events) {
      rows.add(Tuple.of(Buffer.buffer(e.getBytes(StandardCharsets.UTF_8))));
    }
    sql.preparedQuery("INSERT INTO rc (val) SELECT convert_from($1, 'UTF8')::jsonb").executeBatch(rows).await(120, TimeUnit.SECONDS);
    oracle.clear();
  }

  /** wiki, bot and ts (event time) of every event; the events matching $1 wiki, $2 bot, $3 window seconds (null: any). */
  private static final String MATCHING = "WITH ev AS (SELECT val->>'user' AS \"user\", val->>'wiki' AS wiki,"
    + " COALESCE(val->'bot' = 'true'::jsonb, false) AS bot,"
    + " CASE WHEN n BETWEEN 0 AND 9007199254740991 AND n = trunc(n) THEN n::bigint END AS ts"
    + " FROM (SELECT val, CASE WHEN jsonb_typeof(val->'timestamp') = 'number' THEN (val->>'timestamp')::numeric END AS n FROM rc) m),"
    + " matching AS (SELECT * FROM ev WHERE ($1::text IS NULL OR wiki = $1) AND ($2::boolean IS NULL OR bot = $2)"
    + " AND ($3::bigint IS NULL OR ts > (SELECT max(ts) FROM ev) - $3)) ";

  /** PostgreSQL's rows for a canonical key, in the view's order. */
  private JsonArray answer(String key) throws Exception {
    JsonArray cached = oracle.get(key);
    if (cached != null) {
      return cached;
    }
    int q = key.indexOf('?');
    String view = q < 0 ? key : key.substring(0, q);
    Map<String, String> p = new HashMap<>();
    if (q >= 0) {
      for (String pair : key.substring(q + 1).split("&")) {
        String[] kv = pair.split("=", 2);
        p.put(kv[0], kv[1]);
      }
    }
    Map<String, Long> windows = Map.of("5m", 300L, "1h", 3600L, "24h", 86400L);
    String wiki = p.get("wiki");
    Boolean bot = p.containsKey("bot") ? Boolean.valueOf(p.get("bot")) : null;
    Long window = view.equals("edits_per_minute") ? Long.valueOf(3600) : windows.get(p.getOrDefault("window", "all"));
    String select = switch (view) {
      case "counter" -> "SELECT count(*) FROM matching";
      case "top10" -> "SELECT \"user\", count(*) FROM matching GROUP BY 1 ORDER BY 2 DESC, \"user\" COLLATE \"C\" NULLS LAST LIMIT 10";
      case "top_wikis" -> "SELECT wiki, count(*) FROM matching GROUP BY 1 ORDER BY 2 DESC, wiki COLLATE \"C\" NULLS LAST LIMIT 10";
      case "wiki_edits" -> "SELECT wiki, count(*) FROM matching GROUP BY 1 ORDER BY 2 DESC, wiki COLLATE \"C\" NULLS LAST";
      case "edits_per_minute" -> "SELECT ts - ts % 60, bot, count(*) FROM matching GROUP BY 1, 2 ORDER BY 1, 2";
      default -> throw new IllegalArgumentException(view);
    };
    JsonArray rows = new JsonArray();
    for (Row r : sql.preparedQuery(MATCHING + select).execute(Tuple.of(wiki, bot, window)).await(60, TimeUnit.SECONDS)) {
      JsonArray row = new JsonArray();
      for (int i = 0; i < r.size(); i++) {
        row.add(r.getValue(i));
      }
      rows.add(row);
    }
    oracle.put(key, rows);
    return rows;
  }

  // ---- the recording

  /**
   * Real sample events as templates, with a wiki (weighted; a few with none, a few named like markup), a user
   * (humans skewed, bots flagged as bots, an HTML-looking name, now and then none) and an event time spread
   * over the last 5 minutes, hour, day and before, some exactly on a window's edge; and a few odd ones: the
   * bot flag as a string (not a bot), no bot flag, no time, a fractional or a string time (no event time).
   * The newest event time is {@link #WM}.
   */
  static List<String> recording(int count) throws Exception {
    Random random = new Random(13);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ObjectNode e = event(random);
      double p = random.nextDouble();
      if (i == 0) {
        e.put("timestamp", WM);
      } else if (p < 0.01) {
        e.remove("timestamp");
      } else if (p < 0.02) {
        e.put("timestamp", (WM - random.nextInt(600)) + 0.5);
      } else if (p < 0.03) {
        e.put("timestamp", String.valueOf(WM - random.nextInt(600)));
      } else if (p < 0.04) {
        e.put("timestamp", WM - new long[] {300, 3600, 86400}[random.nextInt(3)] + random.nextInt(2)); // on an edge, or just in
      } else if (p < 0.20) {
        e.put("timestamp", WM - random.nextInt(300));
      } else if (p < 0.50) {
        e.put("timestamp", WM - 300 - random.nextInt(3300));
      } else if (p < 0.80) {
        e.put("timestamp", WM - 3600 - random.nextInt(82800));
      } else {
        e.put("timestamp", WM - 86400 - random.nextInt(400_000));
      }
      out.add(MAPPER.writeValueAsString(e));
    }
    Collections.shuffle(out.subList(1, out.size()), random); // late events among the rest; the newest is first
    return out;
  }

  /** More events, in event-time order, over the minutes after {@link #WM}: up to WM + seconds. */
  static List<String> later(int count, long seconds) throws Exception {
    Random random = new Random(17);
    List<Long> times = new ArrayList<>();
    for (int i = 0; i < count - 1; i++) {
      times.add(WM + 1 + random.nextInt((int) seconds));
    }
    times.add(WM + seconds);
    Collections.sort(times);
    List<String> out = new ArrayList<>();
    for (long ts : times) {
      out.add(MAPPER.writeValueAsString(event(random).put("timestamp", ts)));
    }
    return out;
  }

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static List<ObjectNode> templates;

  /** A sample event with its wiki, user, bot flag and meta.id rewritten, and no event time yet. */
  private static ObjectNode event(Random random) throws Exception {
    if (templates == null) {
      templates = new ArrayList<>();
      for (String line : Sample.lines().subList(0, 500)) {
        templates.add((ObjectNode) MAPPER.readTree(line));
      }
    }
    int totalWeight = 0;
    for (int w : WEIGHTS) {
      totalWeight += w;
    }
    ObjectNode e = templates.get(random.nextInt(templates.size())).deepCopy();
    int pick = random.nextInt(totalWeight);
    int w = 0;
    while (pick >= WEIGHTS[w]) {
      pick -= WEIGHTS[w++];
    }
    if (random.nextInt(100) == 0) {
      e.remove("wiki");
    } else {
      e.put("wiki", WIKIS_USED[w]);
    }
    boolean bot = random.nextInt(4) == 0;
    String user = bot ? BOTS[random.nextInt(BOTS.length)]
      : random.nextInt(40) == 0 ? HOSTILE_USER
      : "Editor " + (char) ('A' + (int) Math.min(25, Math.abs(random.nextGaussian()) * 7));
    if (random.nextInt(100) == 0) {
      e.remove("user");
    } else {
      e.put("user", user);
    }
    int odd = random.nextInt(100);
    if (odd == 0) {
      e.put("bot", "true"); // not the literal true: a human edit
    } else if (odd == 1) {
      e.remove("bot");
    } else {
      e.put("bot", bot);
    }
    e.remove("timestamp");
    ((ObjectNode) e.get("meta")).put("id", new UUID(random.nextLong(), random.nextLong()).toString());
    return e;
  }
}
