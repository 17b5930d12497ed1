package wikirecent.engine;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.bus.Addresses;
import wikirecent.bus.ViewParams;
import wikirecent.bus.ViewParams.View;
import wikirecent.bus.ViewParams.Window;
import wikirecent.config.Config;
import wikirecent.replay.Sample;
import wikirecent.testsupport.PostgresServer;
import wikirecent.testsupport.Wait;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The embedded source serving parameterised views on a real event bus from a real file, against PostgreSQL
 * running each view's definition ({@link ShapedPostgresIT#query}) over the same lines. A client opens
 * instances of every view over a spread of parameters (some on the empty file, some later, one for a wiki
 * that appears only later) and follows their batches while events are appended in random pieces: the
 * sample (whose times jump by five years), then made-up events that come late, jump an hour and two days
 * ahead (windows empty out), lack a time or carry odd values. At each stop every instance's rows equal
 * PostgreSQL's answer. A restart from the checkpoint in the middle must give the same windows.
 */
@ExtendWith(VertxExtension.class)
class EngineShapedIT {

  private static PostgresServer pg;
  private static Vertx pgVertx;
  private static PgConnection conn;

  @TempDir
  Path dir;
  private ShapedClient client;

  @BeforeAll
  static void startPostgres() throws Exception {
    pg = PostgresServer.startOrSkip();
    pgVertx = Vertx.vertx();
    conn = PgConnection.connect(pgVertx, pg.connectOptions()).await(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    if (conn != null) {
      conn.close().await(10, TimeUnit.SECONDS);
    }
    if (pgVertx != null) {
      pgVertx.close().await(10, TimeUnit.SECONDS);
    }
    if (pg != null) {
      pg.close();
    }
  }

  @AfterEach
  void closeClient() throws Exception {
    if (client != null) {
      client.close();
    }
  }

  private JsonObject config() {
    return Config.load(new JsonObject()
      .put(Config.DATA_DIR, dir.toString())
      .put(Config.ENGINE_POLL_MILLIS, 50)
      .put(Config.ENGINE_BATCH_MAX_BYTES, 16 * 1024)
      .put(Config.VIEWS_MAX_INSTANCES, 500)
      .put(Config.VIEWS_INSTANCE_IDLE_SECONDS, 3600), Map.of());
  }

  private String deploy(Vertx vertx) throws Exception {
    return vertx.deployVerticle(new EngineVerticle(), new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)
      .setConfig(config())).await(60, TimeUnit.SECONDS);
  }

  /** Every view, over any wiki, the sample's two, one seen only later and one never; bot or not; every window. */
  static List<ViewParams> spread() {
    List<ViewParams> out = new ArrayList<>();
    for (View view : View.values()) {
      for (String wiki : Arrays.asList(null, "wikidatawiki", "enwiki", "newwiki", "nowiki")) {
        for (Boolean bot : Arrays.asList(null, true, false)) {
          for (Window window : Window.values()) {
            try {
              out.add(new ViewParams(view, wiki, bot, window));
            } catch (IllegalArgumentException e) {
              // not a parameter set of this view
            }
          }
        }
      }
    }
    return out;
  }

  @Test
  void everyInstanceFollowsItsDefinitionThroughLateEventsJumpsAndARestart(Vertx vertx) throws Exception {
    client = new ShapedClient(vertx);
    conn.query("DROP TABLE IF EXISTS rc").execute().await(30, TimeUnit.SECONDS);
    conn.query("CREATE TABLE rc (val jsonb)").execute().await(30, TimeUnit.SECONDS);
    String id = deploy(vertx);
    Wait.until("the source to go live", Duration.ofSeconds(60), () -> {
      client.drain();
      return client.started == 1;
    });
    List<ViewParams> params = spread();
    assertThat(params).hasSizeGreaterThan(150);
    Random random = new Random(3);
    List<ViewParams> early = new ArrayList<>();
    List<ViewParams> late = new ArrayList<>();
    for (ViewParams p : params) {
      (random.nextBoolean() ? early : late).add(p);
    }
    for (ViewParams p : early) {
      client.subscribe(p);
    }
    compare(early, "on the empty file");

    List<String> sample = Sample.lines();
    int firstId = 0;
    firstId = append(vertx, sample.subList(0, 3000), firstId, random);
    compare(early, "after 3,000 sample lines");
    for (ViewParams p : late) {
      client.subscribe(p);
    }
    firstId = append(vertx, sample.subList(3000, sample.size()), firstId, random);
    compare(params, "after the sample");

    Made made = new Made(new Random(5), 1_690_617_239L);
    firstId = append(vertx, made.steady(1500), firstId, random);
    compare(params, "after steady made-up events, some late");

    vertx.undeploy(id).await(30, TimeUnit.SECONDS); // checkpoints on the way out
    assertThat(dir.resolve(EngineVerticle.CHECKPOINT_FILE)).exists();
    firstId = append(vertx, made.jump(3 * 3600, 400), firstId, random); // while no source runs
    id = deploy(vertx);
    Wait.until("the restarted source to go live", Duration.ofSeconds(60), () -> {
      client.drain();
      return client.started == 2;
    });
    compare(params, "after a restart from the checkpoint, past a 3 h jump");

    firstId = append(vertx, made.jump(2 * 86400, 300), firstId, random);
    compare(params, "after a two-day jump");
    firstId = append(vertx, made.odd(500), firstId, random);
    compare(params, "after events without times, odd values and bad lines");
    firstId = append(vertx, made.jump(400, 200), firstId, random);
    compare(params, "after a 400 s jump");
    assertThat(client.batches).isGreaterThan(1000);
  }

  /** Appends the lines in random pieces with the append hint, and to PostgreSQL (the valid ones). */
  private int append(Vertx vertx, List<String> lines, int firstId, Random random) throws Exception {
    byte[] all = RecordFiles.recordsOf(lines, firstId);
    Path file = dir.resolve(Config.FILE_NAME);
    for (int at = 0; at < all.length; ) {
      int n = Math.min(all.length - at, 1 + random.nextInt(30_000));
      try (var out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
        out.write(all, at, n);
      }
      at += n;
      vertx.eventBus().publish(Addresses.FILE_APPENDED, Files.size(file));
      client.drain();
    }
    List<Tuple> rows = new ArrayList<>();
    for (String l : lines) {
      if (Oracle.parse(EventLines.bytes(l)).valid()) {
        rows.add(Tuple.of(Buffer.buffer(EventLines.bytes(l))));
      }
    }
    conn.preparedQuery("INSERT INTO rc (val) SELECT convert_from($1, 'UTF8')::jsonb").executeBatch(rows).await(60, TimeUnit.SECONDS);
    return firstId + lines.size();
  }

  /** Waits until every instance holds what PostgreSQL computes over the lines so far. */
  private void compare(List<ViewParams> params, String when) throws Exception {
    Map<ViewParams, List<List<Object>>> expected = new HashMap<>();
    for (ViewParams p : params) {
      expected.put(p, sorted(postgres(p)));
    }
    Map<ViewParams, List<List<Object>>> wrong = new HashMap<>();
    Wait.until("every instance to equal its query " + when, Duration.ofSeconds(90), () -> {
      client.drain();
      wrong.clear();
      for (ViewParams p : params) {
        List<List<Object>> rows = client.hasSnapshot(p) ? sorted(client.rows(p)) : null;
        if (!expected.get(p).equals(rows)) {
          wrong.put(p, rows);
        }
      }
      return wrong.isEmpty();
    }, () -> wrong.size() + " differ, e.g. " + wrong.entrySet().stream().limit(3)
      .map(e -> e.getKey() + " holds " + e.getValue() + ", PostgreSQL says " + expected.get(e.getKey())).toList());
  }

  private static List<List<Object>> postgres(ViewParams p) throws Exception {
    Long window = p.window() == Window.ALL ? null : wikirecent.testsupport.WindowLengths.seconds(p.window());
    List<List<Object>> out = new ArrayList<>();
    for (Row r : conn.preparedQuery(ShapedPostgresIT.query(p.view())).execute(Tuple.of(p.wiki(), p.bot(), window)).await(30, TimeUnit.SECONDS)) {
      List<Object> row = new ArrayList<>();
      for (int i = 0; i < r.size(); i++) {
        row.add(r.getValue(i));
      }
      out.add(row);
    }
    return out;
  }

  // Rows as sets are what a subscriber's table holds; the top lists' membership is PostgreSQL's ORDER BY ... LIMIT 10.
  private static List<List<Object>> sorted(List<List<Object>> rows) {
    List<List<Object>> out = new ArrayList<>(rows);
    out.sort(Comparator.comparing(Object::toString));
    return out;
  }

  /** Made-up events around a moving time. */
  static final class Made {
    private static final String[] USERS = {"Alice", "Bob", "bob", "Carol", "Dave", "Eve", "Ärger", "Bot1", "Bot2", "Bot3", "Bot4",
      "Bot5", "Bot6", "Bot7", "Bot8", "Bot9", "Bot10", "Bot11"};
    private static final String[] WIKIS = {"enwiki", "enwiki", "wikidatawiki", "wikidatawiki", "dewiki", "frwiki", "w1", "w2", "w3",
      "w4", "w5", "w6", "w7", "w8", "w9", "w10", "w11"};
    private final Random random;
    private long wm;

    Made(Random random, long wm) {
      this.random = random;
      this.wm = wm;
    }

    private String event(long ts) {
      int u = random.nextInt(USERS.length);
      JsonObject o = new JsonObject().put("type", "edit").put("user", USERS[u]).put("wiki", WIKIS[random.nextInt(WIKIS.length)])
        .put("bot", u >= 7 || random.nextInt(10) == 0).put("timestamp", ts);
      if (random.nextInt(40) == 0) {
        o.put("wiki", "newwiki");
      }
      return o.encode();
    }

    /** Time moves 0-2 s per event; one in five is late, by up to two hours. */
    List<String> steady(int n) {
      List<String> out = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        if (random.nextInt(5) == 0) {
          out.add(event(wm - random.nextInt(7200)));
        } else {
          wm += random.nextInt(3);
          out.add(event(wm));
        }
      }
      return out;
    }

    /** The first event jumps {@code seconds} ahead, the others go on steadily. */
    List<String> jump(long seconds, int n) {
      wm += seconds;
      List<String> out = new ArrayList<>(List.of(event(wm)));
      out.addAll(steady(n - 1));
      return out;
    }

    /** Events without a usable time, with odd wikis and bot values, and lines PostgreSQL refuses, among steady ones. */
    List<String> odd(int n) {
      List<String> out = steady(n);
      String[] odd = {"{\"user\":\"Alice\",\"wiki\":\"enwiki\",\"bot\":true}", "{\"user\":\"Eve\",\"wiki\":\"enwiki\",\"timestamp\":\"later\"}",
        "{\"user\":\"Eve\",\"wiki\":\"enwiki\",\"bot\":\"true\",\"timestamp\":" + wm + "}",
        "{\"user\":\"Bob\",\"wiki\":\"enwiki\",\"bot\":1,\"timestamp\":" + wm + ".0}",
        "{\"user\":\"Bob\",\"wiki\":null,\"bot\":false,\"timestamp\":" + (wm - 10) + ".5}",
        "{\"user\":\"Carol\",\"wiki\":1e2,\"timestamp\":" + (wm - 1) + "}", "{\"user\":null,\"wiki\":\"w1\",\"timestamp\":-5}",
        "[1,2]", "not json", "{\"user\":\"\\u0000\",\"wiki\":\"enwiki\",\"timestamp\":" + (wm + 100000) + "}",
        "{\"wiki\":\"enwiki\",\"timestamp\":" + (wm + 5) + ",\"timestamp\":" + (wm - 5) + "}"};
      for (String o : odd) {
        out.add(random.nextInt(out.size()), o);
      }
      return out;
    }
  }
}
