package wikirecent.tail;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.config.Config;
import wikirecent.records.RecordFormat;
import wikirecent.bus.ViewTable;
import wikirecent.bus.Views;
import wikirecent.engine.EngineVerticle;
import wikirecent.replay.Sample;
import wikirecent.testsupport.Wait;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The same recorded events, written to one recentchanges file in bursts, read by the embedded
 * engine (source=embedded) and by the tail verticle over the stand-in scripted to Materialize's
 * semantics (source=materialize): after every burst, once both have taken it all in, every
 * view's snapshot is the same on both sides. Each source runs in its own Vert.x, as it would
 * in its own process; they are compared only through the event-bus contract.
 */
class EngineAndTailAgreeTest {

  private final Vertx engineSide = Vertx.vertx();
  private final Vertx tailSide = Vertx.vertx();

  @AfterEach
  void close() {
    Wait.on(engineSide.close());
    Wait.on(tailSide.close());
  }

  @Test
  void bothSourcesGiveTheSameViewsOverTheSample(@TempDir Path dir) throws IOException {
    List<String> events = Sample.lines();
    Path file = dir.resolve(Config.FILE_NAME);
    Files.createFile(file);

    JsonObject engineConf = Config.load(new JsonObject().put(Config.DATA_DIR, dir.toString()), Map.of());
    Wait.on(engineSide.deployVerticle(new EngineVerticle(),
      new DeploymentOptions().setConfig(engineConf).setThreadingModel(ThreadingModel.WORKER)));
    Bus engine = Bus.record(engineSide);

    RecentChangesTail model = new RecentChangesTail(file, 1_700_000_000_000L, 250);
    FakeMaterialize fake = Wait.on(new FakeMaterialize(tailSide, model).start(0));
    Bus tail = Bus.record(tailSide);
    JsonObject tailConf = Config.load(new JsonObject()
      .put(Config.SOURCE, "materialize")
      .put(Config.MATERIALIZE_URL, fake.url()), Map.of());
    Wait.on(tailSide.deployVerticle(new TailVerticle(), new DeploymentOptions().setConfig(tailConf)));

    int written = 0;
    while (written < events.size()) {
      int n = Math.min(events.size() - written, 1500);
      for (int i = written; i < written + n; i++) {
        Files.write(file, RecordFormat.record("[{\"offset\":" + i + "}]", events.get(i)), StandardOpenOption.APPEND);
      }
      written += n;
      int total = written;
      for (Bus side : List.of(engine, tail)) {
        Wait.until("counter at " + total, () -> side.snapshotTimestamp("counter") >= 0
          && side.snapshot("counter").getJsonArray("inserted").encode().equals("[[" + total + "]]"));
      }
      for (Views v : Views.values()) {
        Wait.until(v.viewName() + " agrees after " + total + " events", Wait.LONG,
          () -> rows(engine, v).equals(rows(tail, v)),
          () -> "engine " + engine.snapshot(v.viewName()).encode() + " tail " + tail.snapshot(v.viewName()).encode());
      }
    }
    List<String> users = events.stream().map(l -> new JsonObject(l).getString("user")).toList();
    for (Views v : Views.values()) {
      assertThat(rows(engine, v)).isEqualTo(sorted(TailOverSampleTest.expected(v, users)));
    }
  }

  // A snapshot's rows as a sorted list: the order of rows in a message carries no meaning.
  private static List<String> rows(Bus side, Views v) {
    return sorted(side.snapshot(v.viewName()).getJsonArray("inserted"));
  }

  private static List<String> sorted(JsonArray rows) {
    List<String> out = new ArrayList<>();
    for (Object r : rows) {
      out.add(new JsonArray(ViewTable.normalize((JsonArray) r)).encode());
    }
    Collections.sort(out);
    return out;
  }
}
