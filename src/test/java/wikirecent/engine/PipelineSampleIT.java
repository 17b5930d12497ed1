package wikirecent.engine;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.bus.Addresses;
import wikirecent.config.Config;
import wikirecent.bus.ViewTable;
import wikirecent.bus.Views;
import wikirecent.ingest.IngestVerticle;
import wikirecent.replay.ReplayOptions;
import wikirecent.replay.ReplayServer;
import wikirecent.replay.Sample;
import wikirecent.testsupport.PostgresServer;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The spine end to end: the replay server serves the bundled sample, cutting the connection in
 * the middle of a frame every 700 events; ingest appends it to the file; the engine follows the
 * file. The views a subscriber builds from the published batches must be PostgreSQL's answers to
 * the views' queries over the sample's lines.
 */
@ExtendWith(VertxExtension.class)
class PipelineSampleIT {

  @TempDir
  Path dir;

  @Test
  void replayIngestEngineGiveWhatTheSeedsSqlGives(Vertx vertx) throws Exception {
    List<String> lines = Sample.lines();
    Oracle.Expected expected;
    try (PostgresServer pg = PostgresServer.startOrSkip()) {
      expected = EngineSampleIT.postgresAnswers(vertx, pg, lines);
    }
    assertThat(expected.count()).isEqualTo(lines.size());

    ReplayServer replay = ReplayServer.start(vertx, new ReplayOptions().port(0).cutEvery(700).cutMidFrame(true))
      .await(30, TimeUnit.SECONDS);
    ViewsClient client = new ViewsClient(vertx);
    try {
      JsonObject config = Config.load(new JsonObject()
        .put(Config.DATA_DIR, dir.toString())
        .put(Config.STREAM_URL, replay.url())
        .put(Config.INGEST_BACKOFF_MILLIS, 20)
        .put(Config.INGEST_FSYNC_MILLIS, -1), Map.of());
      vertx.deployVerticle(new EngineVerticle(), new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)
        .setConfig(config)).await(60, TimeUnit.SECONDS);
      vertx.deployVerticle(new IngestVerticle(), new DeploymentOptions().setConfig(config)).await(60, TimeUnit.SECONDS);

      client.awaitUntil("PostgreSQL's answers", () -> client.matches(expected));
      assertThat(replay.requests().size()).as("connections the replay cut").isGreaterThan(lines.size() / 700);
      for (Views v : Views.values()) {
        ViewTable t = new ViewTable(v.viewName());
        t.apply(vertx.eventBus().<JsonObject>request(Addresses.snapshot(v.viewName()), null).await(30, TimeUnit.SECONDS).body());
        assertThat(t.rows()).as("the snapshot of %s", v).isEqualTo(client.rows(v));
      }
    } finally {
      client.close();
      replay.close();
    }
  }
}
