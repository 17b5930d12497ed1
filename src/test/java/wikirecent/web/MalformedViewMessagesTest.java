package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import wikirecent.bus.Addresses;
import wikirecent.bus.ViewMessage;
import wikirecent.testsupport.StreamWatcher;
import wikirecent.testsupport.Wait;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A message on a view's address that is not one of the view's (any node of a cluster may publish there) is ignored and
 * counted: it reaches no client and no table, so the replica goes on from the state it had, and a row of the wrong shape
 * never gets into a snapshot (rows that mix shapes have no order to be built in).
 */
@ExtendWith(VertxExtension.class)
class MalformedViewMessagesTest {

  private static final String INVALID = "wikirecent_web_messages_invalid_total{view=\"user_edits\"}";

  @Test
  void aMalformedMessageIsCountedAndSkippedAndTheReplicaGoesOn(Vertx vertx) throws Exception {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    Wait.on(source.edit("Alice", "Bob"));
    StreamWatcher stream = StreamWatcher.connect(vertx, web.port(), "user_edits", true);
    Wait.until("the snapshot", () -> stream.snapshots() == 1);
    long at = stream.timestamp();

    List<Object> bad = new ArrayList<>();
    bad.add("not an object");
    bad.add(batch(at, rows("Mallory", 1)).put(ViewMessage.VIEW, "top10"));
    bad.add(batch(at, rows("Mallory", 1)).put(ViewMessage.TIMESTAMP, "soon"));
    bad.add(batch(at, rows("Mallory", 1)).put(ViewMessage.INSERTED, "Mallory"));
    bad.add(batch(at, rows("Mallory", 1)).put(ViewMessage.PREVIOUS, "before"));
    bad.add(batch(at, rows("Mallory", 1)).put(ViewMessage.PARAMS, new JsonObject().put("wiki", "enwiki")));
    bad.add(batch(at, new JsonArray().add("Mallory")));
    bad.add(batch(at, new JsonArray().add(new JsonArray().add("Mallory"))));
    bad.add(batch(at, new JsonArray().add(new JsonArray().add("Mallory").add(1).add(2))));
    bad.add(batch(at, rows("Mallory", "5")));
    bad.add(batch(at, rows(7, 5)));
    bad.add(batch(at, rows("Mallory", 1.5)));
    bad.add(batch(at, rows("Mallory", null)));
    bad.add(batch(at, rows("Mallory", true)));
    double before = Shaped.metric(vertx, web.port(), INVALID);
    for (Object m : bad) {
      vertx.eventBus().publish(Addresses.view("user_edits"), m);
    }
    Wait.until("each counted", Wait.LONG, () -> Shaped.metric(vertx, web.port(), INVALID) == before + bad.size(),
      () -> INVALID + " " + Shaped.metric(vertx, web.port(), INVALID) + ", from " + before);

    Wait.on(source.edit("Carol", null));
    JsonArray expected = Wait.on(source.expected("user_edits"));
    Wait.until("the next batch, from the state it had", () -> stream.rows().equals(expected));
    assertThat(stream.messages()).as("nothing of the malformed messages reached the client")
      .noneMatch(m -> m.encode().contains("Mallory"));
    assertThat(stream.snapshots()).as("no fresh snapshot was needed").isEqualTo(1);
    assertThat(stream.diverged()).isFalse();
    assertThat(Shaped.metric(vertx, web.port(), "wikirecent_web_divergences_total{view=\"user_edits\"}")).isZero();
    assertThat(Http.get(vertx, web.port(), "/api/views/user_edits").bodyAsJsonObject().getJsonArray(ViewMessage.INSERTED))
      .isEqualTo(expected);
    stream.close();
  }

  /** A batch that would follow the replica's state, one of its timestamps ahead. */
  private static JsonObject batch(long at, JsonArray inserted) {
    return ViewMessage.batch("user_edits", at + 1_000, inserted, new JsonArray()).put(ViewMessage.PREVIOUS, at);
  }

  private static JsonArray rows(Object user, Object count) {
    return new JsonArray().add(new JsonArray().add(user).add(count));
  }
}
