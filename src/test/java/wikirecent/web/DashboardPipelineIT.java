package wikirecent.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import wikirecent.bus.Addresses;
import wikirecent.bus.ViewMessage;
import wikirecent.config.Config;
import wikirecent.engine.EngineVerticle;
import wikirecent.ingest.IngestVerticle;
import wikirecent.replay.ReplayOptions;
import wikirecent.replay.ReplayServer;
import wikirecent.replay.Sample;
import wikirecent.testsupport.Wait;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

/**
 * The dashboard scenarios on the real pipeline: the replay server serves a recording, ingest
 * appends it to the file, the engine follows the file, the web node serves the page. The
 * recording (real sample events with their users rewritten) comes in waves: each wave's editors
 * edit a little more than the last wave's, so users keep entering and leaving the top 10 while
 * the page watches; a user named like an HTML tag edits in every wave and stays near the top.
 */
class DashboardPipelineIT extends DashboardScenarios {

  static final String HOSTILE = "<img src=x onerror=alert(1)>";
  private static final double RATE = 150;
  private Path dir;
  private JsonObject config;
  private String ingest;
  private ReplayServer replay;

  @Override
  protected void startFeed(Vertx vertx) throws Exception {
    dir = Files.createTempDirectory("wikirecent-dashboard");
    Path recording = dir.resolve("waves.jsonl");
    Files.write(recording, waves(40));
    replay = Wait.on(ReplayServer.start(vertx, new ReplayOptions().port(0).rate(RATE).file(recording)));
    JsonObject config = Config.load(new JsonObject()
      .put(Config.DATA_DIR, dir.toString())
      .put(Config.STREAM_URL, replay.url())
      .put(Config.INGEST_FSYNC_MILLIS, -1), Map.of());
    Wait.on(vertx.deployVerticle(new EngineVerticle(),
      new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER).setConfig(config)));
    this.config = config;
    releaseFeed();
    // The page should open on a full chart: wait for the first wave.
    Wait.until("ten users in the top 10", () -> {
      var rows = rest0(vertx);
      return rows != null && rows.size() == 10;
    });
  }

  // The web node is not up yet: ask the engine directly (it fails while catching up).
  private static JsonArray rest0(Vertx vertx) {
    try {
      return Wait.on(vertx.eventBus().<JsonObject>request(Addresses.snapshot("top10"), null)).body()
        .getJsonArray(ViewMessage.INSERTED);
    } catch (AssertionError e) {
      return null;
    }
  }

  @Override
  protected void moreEdits() {
    // the feed goes on by itself
  }

  @Override
  protected void pushOutOfTop10(List<String> shown) {
    // the next wave does it
  }

  @Override
  protected String hostileNameInTop10() {
    return HOSTILE;
  }

  /** Ingest stops (as in a restart) and later resumes from the file's last id. */
  @Override
  protected void holdFeed() {
    Wait.on(vertx.undeploy(ingest));
  }

  @Override
  protected void releaseFeed() {
    ingest = Wait.on(vertx.deployVerticle(new IngestVerticle(), new DeploymentOptions().setConfig(config)));
  }

  @Override
  protected void stopFeed() throws Exception {
    if (replay != null) {
      Wait.on(replay.close());
    }
  }

  /** Real sample events as templates; wave k's nine editors make 4 + k edits each. */
  static List<String> waves(int count) throws Exception {
    ObjectMapper mapper = new ObjectMapper();
    List<ObjectNode> templates = new ArrayList<>();
    for (String line : Sample.lines().subList(0, 500)) {
      templates.add((ObjectNode) mapper.readTree(line));
    }
    Random random = new Random(11);
    List<String> out = new ArrayList<>();
    for (int k = 0; k < count; k++) {
      List<String> users = new ArrayList<>();
      for (int u = 0; u < 9; u++) {
        for (int e = 0; e < 4 + k; e++) {
          users.add("Wave " + k + " editor " + u);
        }
      }
      for (int e = 0; e < 4; e++) {
        users.add(HOSTILE);
      }
      users.add(null);
      Collections.shuffle(users, random);
      for (String user : users) {
        ObjectNode event = templates.get(random.nextInt(templates.size())).deepCopy();
        if (user == null) {
          event.remove("user");
        } else {
          event.put("user", user);
        }
        ((ObjectNode) event.get("meta")).put("id", new UUID(random.nextLong(), random.nextLong()).toString());
        out.add(mapper.writeValueAsString(event));
      }
    }
    return out;
  }
}
