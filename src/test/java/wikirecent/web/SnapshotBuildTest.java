package wikirecent.web;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import wikirecent.bus.Addresses;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewTable;
import wikirecent.testsupport.HeldPool;
import wikirecent.testsupport.StreamWatcher;
import wikirecent.testsupport.Wait;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Snapshots are built on the replicas' worker pool, never on the event loop: with every builder busy, a request for a
 * snapshot waits and the node goes on serving everyone else, the instance's own followers too. A REST answer is the
 * state it was asked in; a client that joins meanwhile gets the snapshot once built, then what followed it; a bridge
 * request that comes after a batch went out waits for a snapshot that holds it (a page replays only newer batches).
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
    StreamWatcher joiner = StreamWatcher.connect(vertx, web.port(), "user_edits", true);
    BridgeWatcher pageBefore = BridgeWatcher.connect(vertx, web.port());
    pageBefore.follow("user_edits");
    Wait.until("both follow it, the page asking", () -> web.inspect(f -> f.followers("user_edits")) == 3 && asking(web) == 1);

    Wait.on(source.edit("Dave"));
    JsonArray now = Wait.on(source.expected("user_edits"));
    JsonArray counted = Wait.on(source.expected("counter"));
    Wait.until("the counter's client gets Dave's edit", () -> counter.rows().equals(counted));
    Wait.until("so does the follower of the view whose snapshot waits", () -> edits.rows().equals(now));
    BridgeWatcher pageAfter = BridgeWatcher.connect(vertx, web.port());
    pageAfter.follow("user_edits");
    Wait.until("the page that came after Dave's edit asks too", () -> asking(web) == 2);
    assertThat(answer.isComplete()).as("the snapshot waits for a builder").isFalse();
    assertThat(joiner.count()).as("a client without a state gets no batch before its snapshot").isZero();

    builders.release();
    HttpResponse<Buffer> r = Wait.on(answer);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.bodyAsJsonObject().getJsonArray(ViewMessage.INSERTED)).as("the state it was asked in").isEqualTo(askedAt);
    Wait.until("the client that joined meanwhile gets the snapshot, then what followed", () -> joiner.rows().equals(now));
    assertThat(joiner.snapshots()).isEqualTo(1);
    assertThat(joiner.messages().get(0).getJsonArray(ViewMessage.INSERTED)).as("the snapshot built").isEqualTo(askedAt);
    Wait.until("both pages hold the state", () -> pageBefore.rows().equals(now) && pageAfter.rows().equals(now));
    JsonObject reply = pageAfter.frame(f -> !Addresses.view("user_edits").equals(f.getString("address"))
      && f.getJsonObject("body") != null && ViewMessage.isSnapshot(f.getJsonObject("body")));
    assertThat(sorted(reply.getJsonObject("body").getJsonArray(ViewMessage.INSERTED)))
      .as("the later page's answer holds the batch sent before it asked").isEqualTo(now);
    List<JsonObject> before = pageBefore.frames();
    int answered = before.indexOf(pageBefore.frame(f -> !Addresses.view("user_edits").equals(f.getString("address"))
      && f.getJsonObject("body") != null && ViewMessage.isSnapshot(f.getJsonObject("body"))));
    assertThat(before.subList(0, answered)).as("no batch reaches a page before its answer")
      .noneMatch(f -> Addresses.view("user_edits").equals(f.getString("address")));
    assertThat(before.subList(answered, before.size())).as("its answer, then what followed it, merged")
      .hasSize(2);
    for (var w : new Object[]{edits, joiner}) {
      assertThat(((StreamWatcher) w).diverged()).isFalse();
    }
    assertThat(pageBefore.diverged() || pageAfter.diverged()).isFalse();
    assertThat(edits.snapshots()).as("the follower was never sent the snapshot again").isEqualTo(1);
    builders.close();
    client.close();
    pageBefore.close();
    pageAfter.close();
  }

  /** Clients of the node waiting for the answer to a snapshot request of user_edits. */
  private static long asking(WebNode web) {
    return web.inspect(f -> f.clients().stream().filter(c -> c.asking.contains("user_edits")).count());
  }

  private static JsonArray sorted(JsonArray rows) {
    ViewTable t = new ViewTable("user_edits");
    t.apply(ViewMessage.snapshot("user_edits", 1, rows));
    return t.rows();
  }
}
