package wikirecent;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Deployable;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.config.Config;
import wikirecent.tail.TailVerticle;
import wikirecent.testsupport.Wait;
import wikirecent.web.WebVerticle;

import java.nio.file.Path;
import java.util.Map;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A number that cannot work stops the start, naming its key, whichever way the part is started. Each of these
 * once started: a 0 status timeout failed every /health, a 0 open timeout pinned a replica per shaped view until
 * none could open, a 0 stall time left every TAIL unstarted, a 0 instance idle time dropped each TAIL at once.
 */
@ExtendWith(VertxExtension.class)
class BadConfigTest {

  @TempDir
  Path dir;

  @Test
  void theWholeAppRefusesToStartAndStartsNoPart(Vertx vertx) {
    for (String key : new String[]{Config.WEB_STATUS_TIMEOUT_MILLIS, Config.WEB_OPEN_TIMEOUT_MILLIS,
      Config.WEB_IDLE_TIMEOUT_SECONDS, Config.VIEWS_KEEP_ALIVE_MILLIS}) {
      JsonObject conf = new JsonObject().put(Config.HTTP_PORT, 0).put(Config.DATA_DIR, dir.toString()).put(key, 0);
      assertThatThrownBy(() -> Wait.on(vertx.deployVerticle(new MainVerticle(), new DeploymentOptions().setConfig(conf))))
        .hasMessageContaining(key + " (" + Config.envName(key) + ") must be a whole number from 1 to ");
      assertThat(vertx.deploymentIDs()).as(key).isEmpty();
    }
    JsonObject misspelt = new JsonObject().put("web.idleTimeout", 5);
    assertThatThrownBy(() -> Wait.on(vertx.deployVerticle(new MainVerticle(), new DeploymentOptions().setConfig(misspelt))))
      .hasMessageContaining("unknown configuration key [web.idleTimeout]");
    assertThat(vertx.deploymentIDs()).isEmpty();
  }

  @Test
  void eachPartStartedAloneRefusesToo(Vertx vertx) {
    refuses(vertx, WebVerticle::new, Config.WEB_REQUEST_HEAD_TIMEOUT_SECONDS, 0);
    refuses(vertx, TailVerticle::new, Config.MATERIALIZE_STALL_MILLIS, 0);
    refuses(vertx, TailVerticle::new, Config.VIEWS_INSTANCE_IDLE_SECONDS, 0);
    refuses(vertx, TailVerticle::new, Config.VIEWS_MAX_INSTANCES, -1);
  }

  private void refuses(Vertx vertx, Supplier<Deployable> part, String key, long value) {
    JsonObject conf = Config.load(new JsonObject().put(Config.HTTP_PORT, 0).put(Config.DATA_DIR, dir.toString()), Map.of())
      .put(key, value);
    assertThatThrownBy(() -> Wait.on(vertx.deployVerticle(part.get(), new DeploymentOptions().setConfig(conf))))
      .as(key).hasMessageContaining(key + " (" + Config.envName(key) + ") must be a whole number from ");
    assertThat(vertx.deploymentIDs()).as(key).isEmpty();
  }
}
