package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import wikirecent.config.Config;
import wikirecent.testsupport.StreamWatcher;
import wikirecent.testsupport.Wait;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Batches that stop reaching a node while its source goes on publishing (what a clustered event bus that lost the
 * node's subscription does): the keep-alive's "published" timestamps give it away, and the node subscribes again
 * and catches up from a snapshot. A node that hears everything never does.
 */
@ExtendWith(VertxExtension.class)
class MissedBatchesTest {

  private static final String MISSED = "wikirecent_web_replicas_reopened_total{reason=\"missed\"}";

  private static JsonObject keepAlive(long millis) {
    return new JsonObject().put(Config.VIEWS_KEEP_ALIVE_MILLIS, millis);
  }

  @Test
  void aReplicaThatHearsNothingWhileTheSourcePublishesCatchesUp(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, keepAlive(200)));
    Wait.on(source.edit("Alice", "Bob"));
    StreamWatcher stream = StreamWatcher.connect(vertx, web.port(), "counter");
    Wait.until("the snapshot", () -> stream.snapshots() == 1);

    Wait.on(source.unheard("counter", true));
    for (int i = 0; i < 5; i++) {
      Wait.on(source.edit("Carol"));
    }
    var expected = Wait.on(source.expected("counter"));
    Wait.until("the node caught up without one batch", Wait.LONG,
      () -> expected.equals(Http.get(vertx, web.port(), "/api/views/counter").bodyAsJsonObject().getJsonArray("inserted")));
    Wait.until("the stream too, by a fresh snapshot", () -> stream.rows().equals(expected));
    assertThat(stream.snapshots()).isGreaterThanOrEqualTo(2);
    assertThat(Shaped.metric(vertx, web.port(), MISSED)).isGreaterThanOrEqualTo(1.0);

    // Heard again: batches flow as before.
    Wait.on(source.unheard("counter", false));
    Wait.on(source.edit("Dave"));
    var after = Wait.on(source.expected("counter"));
    Wait.until("the next batch arrives", () -> stream.rows().equals(after));
    stream.close();
  }

  @Test
  void aReplicaThatHearsEverythingIsNeverReopened(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, keepAlive(50)));
    Wait.on(source.edit("Alice"));
    StreamWatcher stream = StreamWatcher.connect(vertx, web.port(), "top10");
    Wait.until("the snapshot", () -> stream.snapshots() == 1);
    int keepAlives = Wait.on(source.wanted()).size();
    // Edits throughout many keep-alives, each one named in the replies.
    long until = System.currentTimeMillis() + 2000;
    int n = 0;
    while (System.currentTimeMillis() < until) {
      Wait.on(source.edit("user" + (n++ % 30)));
    }
    assertThat(Wait.on(source.wanted()).size()).isGreaterThan(keepAlives + 10);
    var expected = Wait.on(source.expected("top10"));
    Wait.until("the stream follows", () -> stream.rows().equals(expected));
    assertThat(Shaped.metric(vertx, web.port(), MISSED)).isEqualTo(0.0);
    assertThat(stream.snapshots()).isEqualTo(1);
    stream.close();
  }
}
