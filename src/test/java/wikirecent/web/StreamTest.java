package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import wikirecent.bus.ViewMessage;
import wikirecent.testsupport.StreamWatcher;
import wikirecent.testsupport.Wait;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The raw WebSocket stream and the REST API, with real clients on loopback. */
@ExtendWith(VertxExtension.class)
class StreamTest {

  static final String[] USERS = {"Alice", "Bob", "Carol", "Dave", "Eve", "Mallory", "Zoë", "\uD835\uDC9Cstral", "ｆｕｌｌ",
    "Trent", "Peggy", "Victor", "Walter", "Sybil", "Oscar", null, "<img src=x onerror=alert(1)>"};

  static String[] randomUsers(Random random, int n) {
    String[] out = new String[n];
    for (int i = 0; i < n; i++) {
      out[i] = USERS[random.nextInt(USERS.length)];
    }
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"counter", "user_edits", "top10"})
  void theStreamGivesTheSnapshotThenBatchesThatRebuildTheRestSnapshot(String view, Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    Random random = new Random(view.hashCode());
    Wait.on(source.edit(randomUsers(random, 30)));
    Wait.until("the web node has a snapshot", () -> Http.get(vertx, web.port(), "/api/views/" + view).statusCode() == 200);

    StreamWatcher watcher = StreamWatcher.connect(vertx, web.port(), view);
    Wait.until("the first frame", () -> watcher.count() > 0);
    for (int i = 0; i < 60; i++) {
      Wait.on(source.edit(randomUsers(random, 1 + random.nextInt(4))));
    }
    long last = Wait.on(source.lastTimestamp(view));
    Wait.until("the stream reaches the source's last change", Wait.LONG, () -> watcher.timestamp() >= last,
      () -> "last=" + last + " watcher at " + watcher.timestamp() + " after " + watcher.count() + " messages, diverged=" + watcher.diverged());

    List<JsonObject> messages = watcher.messages();
    assertThat(ViewMessage.isSnapshot(messages.get(0))).as("first frame is a snapshot").isTrue();
    assertThat(messages.subList(1, messages.size())).as("then batches only").noneMatch(ViewMessage::isSnapshot);
    assertThat(messages.size()).as("batches arrived").isGreaterThan(1);
    for (int i = 1; i < messages.size(); i++) {
      assertThat(ViewMessage.timestamp(messages.get(i))).isGreaterThan(ViewMessage.timestamp(messages.get(i - 1)));
      assertThat(messages.get(i).getString("view")).isEqualTo(view);
    }
    assertThat(watcher.diverged()).isFalse();

    JsonObject rest = Http.get(vertx, web.port(), "/api/views/" + view).bodyAsJsonObject();
    assertThat(rest.getBoolean("snapshot")).isTrue();
    assertThat(rest.getLong("timestamp")).isEqualTo(watcher.timestamp());
    JsonArray expected = Wait.on(source.expected(view));
    assertThat(rest.getJsonArray("inserted")).isEqualTo(expected);
    assertThat(watcher.rows()).isEqualTo(expected);
    watcher.close();
  }

  /** Every socket gets frames of its own: several clients, messages of one frame and of several. */
  @Test
  void severalClientsGetWholeMessagesSmallAndLargerThanAFrame(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    String[] names = new String[4000];
    for (int i = 0; i < names.length; i++) {
      names[i] = "a rather long user name, number " + i;
    }
    Wait.on(source.edit(names));
    Wait.until("synced", () -> Http.get(vertx, web.port(), "/api/views/user_edits").statusCode() == 200);
    String snapshot = Http.get(vertx, web.port(), "/api/views/user_edits").bodyAsString();
    assertThat(snapshot.length()).as("larger than one frame (64 KiB)").isGreaterThan(2 * 65536);

    List<StreamWatcher> watchers = List.of(StreamWatcher.connect(vertx, web.port(), "user_edits"),
      StreamWatcher.connect(vertx, web.port(), "user_edits"), StreamWatcher.connect(vertx, web.port(), "user_edits"));
    Wait.on(source.edit("Alice", "Bob"));
    Wait.on(source.edit(names)); // a large batch: every count changes
    long last = Wait.on(source.lastTimestamp("user_edits"));
    JsonArray expected = Wait.on(source.expected("user_edits"));
    for (StreamWatcher w : watchers) {
      Wait.until("the watcher has every batch", () -> w.timestamp() >= last);
      assertThat(w.messages().get(0).encode()).isEqualTo(snapshot);
      assertThat(w.diverged()).isFalse();
      assertThat(w.rows()).isEqualTo(expected);
      w.close();
    }
  }

  @Test
  void anUnknownViewIs404OnRestAndWebSocket(Vertx vertx) {
    Wait.on(vertx.deployVerticle(new ScriptedViewSource()));
    WebNode web = Wait.on(WebNode.start(vertx, null));

    HttpResponse<Buffer> rest = Http.get(vertx, web.port(), "/api/views/nope");
    assertThat(rest.statusCode()).isEqualTo(404);
    assertThat(rest.getHeader("content-type")).startsWith("application/json");
    assertThat(rest.getHeader("x-content-type-options")).as("the echoed name is never sniffed as HTML").isEqualTo("nosniff");
    assertThat(rest.bodyAsJsonObject()).isEqualTo(new JsonObject().put("error", "unknown view").put("view", "nope"));

    HttpResponse<Buffer> sql = Http.get(vertx, web.port(), "/api/views/top10%27%3B%20DROP%20VIEW%20top10%3B--");
    assertThat(sql.statusCode()).isEqualTo(404);
    assertThat(sql.bodyAsJsonObject().getString("view")).isEqualTo("top10'; DROP VIEW top10;--");

    assertThatThrownBy(() -> StreamWatcher.connect(vertx, web.port(), "nope"))
      .hasRootCauseInstanceOf(UpgradeRejectedException.class)
      .rootCause().satisfies(e -> assertThat(((UpgradeRejectedException) e).getStatus()).isEqualTo(404));
  }

  @Test
  void restListsTheViewsAndSays503BeforeAnySnapshot(Vertx vertx) {
    WebNode web = Wait.on(WebNode.start(vertx, null)); // no source deployed

    JsonObject views = Http.get(vertx, web.port(), "/api/views").bodyAsJsonObject();
    String wiki = "{\"name\":\"wiki\",\"type\":\"text\",\"pattern\":\"[a-z0-9_]{1,64}\",\"default\":\"any\"}";
    String filters = "[" + wiki + ","
      + "{\"name\":\"bot\",\"type\":\"boolean\",\"values\":[\"true\",\"false\",\"any\"],\"default\":\"any\"},"
      + "{\"name\":\"window\",\"type\":\"text\",\"values\":[\"5m\",\"1h\",\"24h\",\"all\"],\"default\":\"all\"}]";
    String userCount = "[{\"name\":\"user\",\"type\":\"text\"},{\"name\":\"count\",\"type\":\"bigint\"}]";
    java.util.Map<String, String> expected = new java.util.LinkedHashMap<>();
    expected.put("counter", "{\"name\":\"counter\",\"columns\":[{\"name\":\"count\",\"type\":\"bigint\"}],\"params\":" + filters + "}");
    expected.put("user_edits", "{\"name\":\"user_edits\",\"columns\":" + userCount + ",\"params\":[]}");
    expected.put("top10", "{\"name\":\"top10\",\"columns\":" + userCount + ",\"params\":" + filters + "}");
    expected.put("top_wikis", "{\"name\":\"top_wikis\",\"columns\":[{\"name\":\"wiki\",\"type\":\"text\"},"
      + "{\"name\":\"count\",\"type\":\"bigint\"}],\"params\":" + filters + "}");
    expected.put("edits_per_minute", "{\"name\":\"edits_per_minute\",\"columns\":[{\"name\":\"minute\",\"type\":\"bigint\"},"
      + "{\"name\":\"bot\",\"type\":\"boolean\"},{\"name\":\"count\",\"type\":\"bigint\"}],\"params\":[" + wiki + "]}");
    java.util.Map<String, String> listed = new java.util.LinkedHashMap<>();
    views.getJsonArray("views").forEach(v -> listed.put(((JsonObject) v).getString("name"), ((JsonObject) v).encode()));
    // The original three first, as before; views added later may follow the ones known here.
    assertThat(List.copyOf(listed.keySet()).subList(0, 3)).containsExactly("counter", "user_edits", "top10");
    expected.forEach((name, json) -> assertThat(listed.get(name)).as(name).isEqualTo(json));

    HttpResponse<Buffer> early = Http.get(vertx, web.port(), "/api/views/top10");
    assertThat(early.statusCode()).isEqualTo(503);
    assertThat(early.bodyAsJsonObject().getString("view")).isEqualTo("top10");
  }

  @Test
  void aPlainGetOfTheStreamSaysItIsAWebSocket(Vertx vertx) {
    WebNode web = Wait.on(WebNode.start(vertx, null));
    HttpResponse<Buffer> plain = Http.get(vertx, web.port(), "/api/stream/top10");
    assertThat(plain.statusCode()).isEqualTo(426);
    assertThat(plain.bodyAsJsonObject().getString("error")).contains("WebSocket");
    assertThat(plain.getHeader("Upgrade")).isEqualTo("websocket");
    assertThat(plain.getHeader("Connection")).as("a sender of Upgrade names it in Connection (RFC 9110, 7.8)").containsIgnoringCase("upgrade");
  }
}
