package wikirecent.engine;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.pgclient.PgConnection;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.bus.Addresses;
import wikirecent.config.Config;
import wikirecent.bus.ViewTable;
import wikirecent.bus.Views;
import wikirecent.replay.Sample;
import wikirecent.testsupport.PostgresServer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * End to end over the bundled sample: records appended to the file in random pieces with the
 * ingest hint, the engine verticle publishing, a subscriber applying the batches; the result must
 * be what PostgreSQL's answers to the views' queries are over the same data lines.
 */
@ExtendWith(VertxExtension.class)
class EngineSampleIT {

  private static final String USER_EDITS = "SELECT val->>'user' AS \"user\", count(*) AS count FROM rc GROUP BY 1";

  @TempDir
  Path dir;

  @Test
  void theSampleGivesWhatTheSeedsSqlGives(Vertx vertx) throws Exception {
    List<String> lines = new ArrayList<>(Sample.lines());
    Random random = new Random(3);
    for (String odd : List.of("{\"user\":null}", "{\"user\":null}", "not json", "[1,2]", "{\"user\":100e-2}",
      "{\"user\":\"\\u0000\"}", "{\"user\":{\"b\":1,\"a\":2}}", "{}", "{\"user\":\"\\ud83d\\ude00\"}", "{\"user\":\"😀\"}")) {
      lines.add(random.nextInt(lines.size()), odd);
    }
    Oracle.Expected expected;
    try (PostgresServer pg = PostgresServer.startOrSkip()) {
      expected = postgresAnswers(vertx, pg, lines);
    }
    assertThat(expected.count()).isEqualTo(5911 + 8);

    ViewsClient client = new ViewsClient(vertx);
    try {
      JsonObject config = Config.load(new JsonObject().put(Config.DATA_DIR, dir.toString()), Map.of());
      vertx.deployVerticle(new EngineVerticle(), new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)
        .setConfig(config)).await(60, TimeUnit.SECONDS);
      client.awaitUntil("the first snapshot", () -> client.counter() == 0);
      Path file = dir.resolve("recentchanges");
      byte[] all = RecordFiles.recordsOf(lines, 0);
      for (int at = 0; at < all.length; ) {
        int n = Math.min(all.length - at, 1 + random.nextInt(20_000));
        try (var out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
          out.write(all, at, n);
        }
        at += n;
        vertx.eventBus().publish(Addresses.FILE_APPENDED, (long) at);
      }
      client.awaitUntil("PostgreSQL's answers", () -> client.matches(expected));
      for (Views v : Views.values()) {
        ViewTable t = new ViewTable(v.viewName());
        t.apply(vertx.eventBus().<JsonObject>request(Addresses.snapshot(v.viewName()), null).await(30, TimeUnit.SECONDS).body());
        assertThat(t.rows()).isEqualTo(client.rows(v));
      }
    } finally {
      client.close();
    }
  }

  /** Loads the lines one by one (PostgreSQL refuses the invalid ones) and runs the views' queries. */
  static Oracle.Expected postgresAnswers(Vertx vertx, PostgresServer pg, List<String> lines) throws Exception {
    PgConnection conn = PgConnection.connect(vertx, pg.connectOptions()).await(30, TimeUnit.SECONDS);
    try {
      conn.query("CREATE TABLE rc (val jsonb)").execute().await(30, TimeUnit.SECONDS);
      for (String line : lines) {
        try {
          conn.preparedQuery("INSERT INTO rc (val) SELECT convert_from($1, 'UTF8')::jsonb")
            .execute(Tuple.of(Buffer.buffer(EventLines.bytes(line)))).await(30, TimeUnit.SECONDS);
        } catch (PgException e) {
          // refused: an invalid line, which the engine skips too
        }
      }
      long count = conn.query("SELECT count(*) FROM rc").execute().await(30, TimeUnit.SECONDS).iterator().next().getLong(0);
      Map<String, Long> userEdits = new HashMap<>();
      for (Row r : conn.query(USER_EDITS).execute().await(30, TimeUnit.SECONDS)) {
        userEdits.put(r.getString(0), r.getLong(1));
      }
      List<Map.Entry<String, Long>> top10 = new ArrayList<>();
      String top = "SELECT * FROM (" + USER_EDITS + ") user_edits ORDER BY count DESC, \"user\" COLLATE \"C\" NULLS LAST LIMIT 10";
      for (Row r : conn.query(top).execute().await(30, TimeUnit.SECONDS)) {
        top10.add(new AbstractMap.SimpleImmutableEntry<>(r.getString(0), r.getLong(1)));
      }
      return new Oracle.Expected(count, userEdits, top10);
    } finally {
      conn.close().await(10, TimeUnit.SECONDS);
    }
  }
}
