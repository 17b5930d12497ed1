package wikirecent.web;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import wikirecent.bus.ViewMessage;
import wikirecent.testsupport.HeldPool;
import wikirecent.testsupport.StreamWatcher;
import wikirecent.testsupport.Wait;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Snapshots are built on the replicas' worker pool, never on the event loop: with every builder busy, a request for a
 * snapshot waits and the node goes on serving everyone else; the instance whose snapshot waits holds its batches, so
 * the answer is the state it was asked in, and its clients get what followed once it is built.
 */
@ExtendWith(VertxExtension.class)
class SnapshotBuildTest {

  @Test
  void whileEveryBuilderIsBusyASnapshotWaitsAndTheNodeGoesOn(Vertx vertx) throws Exception {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    Wait.on(source.edit("Alice", "Bob"));
    StreamWatcher counter = StreamWatcher.connect(vertx, web.port(), "counter");
    StreamWatcher edits = StreamWatcher.connect(vertx, web.port(), "user_edits");
    Wait.until("both snapshots", () -> counter.snapshots() == 1 && edits.snapshots() == 1);

    // The same pool the node builds on (shared by name): hold every thread of it.
    HeldPool builders = HeldPool.hold(vertx, ViewReplica.BUILDERS, ViewReplica.BUILDER_THREADS);

    Wait.on(source.edit("Carol"));
    JsonArray askedAt = Wait.on(source.expected("user_edits"));
    WebClient client = WebClient.create(vertx);
    Future<HttpResponse<Buffer>> answer = client.get(web.port(), "localhost", "/api/views/user_edits").send();
    Wait.until("its build waits for a builder", () -> Shaped.metric(vertx, web.port(), "wikirecent_web_snapshot_builds_running") == 1.0);
    Wait.on(source.edit("Dave"));
    JsonArray counted = Wait.on(source.expected("counter"));
    Wait.until("the counter's client gets Dave's edit", () -> counter.rows().equals(counted));
    assertThat(answer.isComplete()).as("the snapshot waits for a builder").isFalse();
    assertThat(edits.rows()).as("user_edits holds its batches while its snapshot waits").isEqualTo(askedAt);

    builders.release();
    HttpResponse<Buffer> r = Wait.on(answer);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.bodyAsJsonObject().getJsonArray(ViewMessage.INSERTED)).as("the state it was asked in").isEqualTo(askedAt);
    JsonArray now = Wait.on(source.expected("user_edits"));
    Wait.until("then the batch that waited", () -> edits.rows().equals(now));
    assertThat(edits.diverged()).isFalse();
    assertThat(edits.snapshots()).isEqualTo(1);
    builders.close();
    client.close();
  }
}
