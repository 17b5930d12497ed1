package wikirecent.engine;

import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.bus.Addresses;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewParams;
import wikirecent.bus.ViewParams.View;
import wikirecent.bus.ViewParams.Window;
import wikirecent.config.Config;
import wikirecent.engine.ShapedModel.Ev;
import wikirecent.testsupport.Samples;
import wikirecent.testsupport.Wait;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The embedded source's side of the parameterised views' protocol, on a real event bus over a real file:
 * bad params (400), the instance cap (429), catching up (503), keep-alive and idle drop ({@code unknown}),
 * {@code views.started} after a file reset (every instance gone), and a burst of expensive opens that must
 * let the file be followed between them.
 */
@ExtendWith(VertxExtension.class)
class EngineProtocolIT {

  @TempDir
  Path dir;

  private JsonObject config(int maxInstances, int idleSeconds) {
    return Config.load(new JsonObject()
      .put(Config.DATA_DIR, dir.toString())
      .put(Config.ENGINE_POLL_MILLIS, 50)
      .put(Config.VIEWS_MAX_INSTANCES, maxInstances)
      .put(Config.VIEWS_INSTANCE_IDLE_SECONDS, idleSeconds), Map.of());
  }

  private static String deploy(Vertx vertx, JsonObject config) throws Exception {
    return vertx.deployVerticle(new EngineVerticle(),
      new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER).setConfig(config)).await(60, TimeUnit.SECONDS);
  }

  private Path file() {
    return dir.resolve(Config.FILE_NAME);
  }

  private static JsonObject open(Vertx vertx, ViewParams p) throws Exception {
    return ask(vertx, p.view().viewName(), p.isDefault() ? null : p.toJson());
  }

  private static JsonObject ask(Vertx vertx, String view, Object body) throws Exception {
    return vertx.eventBus().<JsonObject>request(Addresses.snapshot(view), body).await(30, TimeUnit.SECONDS).body();
  }

  private static List<String> unknown(Vertx vertx, String... keys) throws Exception {
    JsonObject reply = vertx.eventBus().<JsonObject>request(Addresses.VIEWS_WANTED, ViewMessage.wanted(List.of(keys)))
      .await(30, TimeUnit.SECONDS).body();
    List<String> out = new ArrayList<>();
    reply.getJsonArray(ViewMessage.UNKNOWN).forEach(k -> out.add((String) k));
    return out;
  }

  private static void assertFails(Vertx vertx, String view, Object body, int code, String message) {
    assertThatThrownBy(() -> ask(vertx, view, body)).as("%s %s", view, body)
      .isInstanceOf(ReplyException.class)
      .hasMessageContaining(message)
      .satisfies(e -> assertThat(((ReplyException) e).failureCode()).isEqualTo(code));
  }

  private static void awaitLive(Vertx vertx) {
    Wait.until("the source to go live", Duration.ofSeconds(60),
      () -> vertx.eventBus().<JsonObject>request(Addresses.STATUS_VIEWS, null).await(30, TimeUnit.SECONDS).body().getBoolean("live"));
  }

  private static List<String> lines(List<Ev> events) {
    List<String> out = new ArrayList<>();
    events.forEach(e -> out.add(new String(EngineShapedPropertyTest.render(e), java.nio.charset.StandardCharsets.UTF_8)));
    return out;
  }

  /** Short, so that the drop comes soon; long enough that the test's keep-alive (every few ms) is never that late. */
  private static final int IDLE_SECONDS = 3;

  private static final ViewParams A = ViewParams.of(View.COUNTER).withWiki("enwiki");
  private static final ViewParams B = ViewParams.of(View.TOP10).withBot(false).withWindow(Window.HOUR);
  private static final ViewParams C = ViewParams.of(View.EDITS_PER_MINUTE).withWiki("dewiki");
  private static final ViewParams D = ViewParams.of(View.TOP_WIKIS).withWindow(Window.FIVE_MINUTES);

  @Test
  void badParamsAre400AndSayWhy(Vertx vertx) throws Exception {
    deploy(vertx, config(200, 60));
    awaitLive(vertx);
    assertFails(vertx, "top10", new JsonObject().put("window", "2h"), 400, "window must be 5m, 1h, 24h or all, not '2h'");
    assertFails(vertx, "top10", new JsonObject().put("bot", "yes"), 400, "bot must be true or false (JSON booleans)");
    assertFails(vertx, "counter", new JsonObject().put("wiki", "EN"), 400, "wiki must match [a-z0-9_]{1,64}, not 'EN'");
    assertFails(vertx, "counter", new JsonObject().put("user", "x"), 400, "counter takes wiki, bot and window, not 'user'");
    assertFails(vertx, "counter", "window=1h", 400, "the request body must be null or a params object");
    assertFails(vertx, "user_edits", new JsonObject().put("wiki", "enwiki"), 400, "user_edits takes no parameters");
    assertFails(vertx, "wiki_edits", new JsonObject().put("bot", true), 400, "wiki_edits takes no parameters");
    assertFails(vertx, "edits_per_minute", new JsonObject().put("window", "5m"), 400, "edits_per_minute takes only wiki");
    assertThatThrownBy(() -> vertx.eventBus().request(Addresses.VIEWS_WANTED, new JsonObject().put("keys", "top10"))
      .await(30, TimeUnit.SECONDS)).satisfies(e -> assertThat(((ReplyException) e).failureCode()).isEqualTo(400));
    assertThat(Samples.of(vertx).value("wikirecent_views_requests_refused_total", "reason=\"bad_params\"")).isEqualTo(8.0);
    assertThat(Samples.of(vertx).count("wikirecent_views_instances")).as("none opened").isZero();

    // the default set, however it is spelled, is today's view
    assertThat(ask(vertx, "top10", new JsonObject().put("wiki", "any").put("bot", "any").put("window", "all")))
      .isEqualTo(ask(vertx, "top10", null));
    assertThat(ask(vertx, "top10", null).containsKey(ViewMessage.PARAMS)).isFalse();
  }

  @Test
  void theCapRefusesOneMoreWith429UntilAnInstanceIsDropped(Vertx vertx) throws Exception {
    RecordFiles.append(file(), RecordFiles.recordsOf(List.of("{\"user\":\"Alice\",\"wiki\":\"enwiki\",\"timestamp\":100}"), 0));
    deploy(vertx, config(3, IDLE_SECONDS));
    awaitLive(vertx);
    assertThat(open(vertx, A).getJsonArray(ViewMessage.INSERTED).encode()).isEqualTo("[[1]]");
    open(vertx, B);
    open(vertx, C);
    for (View v : View.values()) {
      assertThat(ViewMessage.isSnapshot(open(vertx, ViewParams.of(v)))).as("default sets do not count").isTrue();
    }
    assertThat(open(vertx, A).getJsonObject(ViewMessage.PARAMS)).as("a live one opens again").isEqualTo(A.toJson());
    assertFails(vertx, "top_wikis", D.toJson(), 429, "too many live view instances (views.maxInstances is 3): "
      + "top_wikis?window=5m cannot be opened now");
    assertThat(Samples.of(vertx).value("wikirecent_views_requests_refused_total", "reason=\"too_many_instances\"")).isEqualTo(1.0);

    // A and B stay wanted, C is let go; once it is dropped, D fits.
    Wait.until("C to be dropped", Duration.ofSeconds(60), () -> {
      assertThat(unknown(vertx, A.toString(), B.toString())).isEmpty();
      return Samples.of(vertx).count("wikirecent_views_instances_dropped_total") == 1;
    });
    assertThat(unknown(vertx, A.toString(), B.toString(), C.toString())).containsExactly(C.toString());
    assertThat(open(vertx, D).getJsonObject(ViewMessage.PARAMS)).isEqualTo(D.toJson());
    assertThat(Samples.of(vertx).count("wikirecent_views_instances")).isEqualTo(3);
  }

  @Test
  void keepAliveRepliesNameTheKeysWithNoLiveInstanceAndIdleOnesAreDropped(Vertx vertx) throws Exception {
    List<Ev> events = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      events.add(new Ev(i % 3 == 0 ? "Bot" : "User" + (i % 7), i % 2 == 0 ? "enwiki" : "dewiki", i % 3 == 0, 1_000_000L + i));
    }
    RecordFiles.append(file(), RecordFiles.recordsOf(lines(events), 0));
    deploy(vertx, config(200, IDLE_SECONDS));
    awaitLive(vertx);
    assertThat(unknown(vertx, A.toString(), B.toString())).as("nothing opened yet").containsExactly(A.toString(), B.toString());
    open(vertx, A);
    open(vertx, B);
    assertThat(unknown(vertx, A.toString(), B.toString(), "top10", "wiki_edits", "top10?window=2h", "nope?x=1"))
      .as("live ones and default sets are known; keys that are no instance are not")
      .containsExactly("top10?window=2h", "nope?x=1");
    // Only A is kept alive: B goes once nobody wanted it for IDLE_SECONDS.
    Wait.until("B to be dropped", Duration.ofSeconds(60), () -> {
      assertThat(unknown(vertx, A.toString())).isEmpty();
      return Samples.of(vertx).count("wikirecent_views_instances_dropped_total") == 1;
    });
    assertThat(unknown(vertx, B.toString(), A.toString())).containsExactly(B.toString());

    // A still gets its batches; B, asked for again, is a fresh instance with the right rows.
    LinkedBlockingQueue<JsonObject> ofA = subscribe(vertx, Addresses.view(A));
    Ev more = new Ev("Late", "enwiki", false, 1_000_049L);
    events.add(more);
    RecordFiles.append(file(), RecordFiles.recordsOf(lines(List.of(more)), 50));
    JsonObject batch = ofA.poll(60, TimeUnit.SECONDS);
    assertThat(batch).as("a batch of A").isNotNull();
    assertThat(batch.getJsonArray(ViewMessage.INSERTED).encode()).isEqualTo("[[26]]");
    assertThat(ShapedModel.plain(open(vertx, B).getJsonArray(ViewMessage.INSERTED)))
      .containsExactlyInAnyOrderElementsOf(ShapedModel.expected(B, events));
  }

  @Test
  void aFileResetDropsEveryInstanceAndIsAnnouncedOnViewsStarted(Vertx vertx) throws Exception {
    List<Ev> events = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      events.add(new Ev("U" + (i % 13), i % 4 == 0 ? "enwiki" : "dewiki", i % 5 == 0, 2_000_000L + 3L * i));
    }
    RecordFiles.append(file(), RecordFiles.recordsOf(lines(events), 0));
    LinkedBlockingQueue<JsonObject> announcements = subscribe(vertx, Addresses.VIEWS_STARTED);
    deploy(vertx, config(200, 60));
    assertThat(announcements.poll(60, TimeUnit.SECONDS)).as("views.started when it goes live").isEqualTo(new JsonObject());
    for (ViewParams p : List.of(A, B, C, D)) {
      assertThat(ShapedModel.plain(open(vertx, p).getJsonArray(ViewMessage.INSERTED)))
        .containsExactlyInAnyOrderElementsOf(ShapedModel.expected(p, events));
    }
    assertThat(unknown(vertx, A.toString(), B.toString(), C.toString(), D.toString())).isEmpty();

    try (FileChannel ch = FileChannel.open(file(), StandardOpenOption.WRITE)) {
      ch.truncate(RecordFiles.recordsOf(lines(events.subList(0, 100)), 0).length);
    }
    List<Ev> kept = events.subList(0, 100);
    assertThat(announcements.poll(60, TimeUnit.SECONDS)).as("views.started after the reset").isEqualTo(new JsonObject());
    assertThat(unknown(vertx, A.toString(), B.toString(), C.toString(), D.toString()))
      .as("every instance went with the old state").containsExactly(A.toString(), B.toString(), C.toString(), D.toString());
    assertThat(Samples.of(vertx).count("wikirecent_views_instances")).isZero();
    for (ViewParams p : List.of(A, B, C, D)) {
      JsonObject snap = open(vertx, p);
      assertThat(ShapedModel.plain(snap.getJsonArray(ViewMessage.INSERTED))).as("%s over the truncated file", p)
        .containsExactlyInAnyOrderElementsOf(ShapedModel.expected(p, kept));
    }
    assertThat(announcements).isEmpty();
  }

  @Test
  void whileCatchingUpParameterisedRequestsAre503(Vertx vertx) throws Exception {
    Files.createDirectories(file()); // a directory where the file should be: the source never gets live
    deploy(vertx, config(200, 60));
    assertFails(vertx, "top10", B.toJson(), 503, "ask again once views.started is published");
    assertThat(unknown(vertx, B.toString(), "top10")).as("nothing is live").containsExactly(B.toString(), "top10");
  }

  /**
   * 200 opens of 24 h instances over a day of events take far longer than a round: the append made before the
   * burst is published (a counter batch) before the last of them is answered, because the file gets a step
   * between rounds. Replies and batches reach the client's context in the order the source sent them.
   */
  @Test
  void aBurstOfOpensLetsTheFileBeFollowedBetweenRounds(Vertx vertx) throws Exception {
    java.util.Random random = new java.util.Random(9);
    List<String> day = new ArrayList<>();
    long t0 = 1_700_000_000L;
    for (int i = 0; i < 60_000; i++) {
      day.add("{\"user\":\"U" + random.nextInt(5000) + "\",\"wiki\":\"w" + random.nextInt(70) + "\",\"bot\":" + random.nextBoolean()
        + ",\"timestamp\":" + (t0 + i * 86_400L / 60_000) + "}");
    }
    RecordFiles.append(file(), RecordFiles.recordsOf(day, 0));
    JsonObject config = config(300, 600).put(Config.ENGINE_POLL_MILLIS, 3_600_000); // only the opens' rounds step
    deploy(vertx, config);
    awaitLive(vertx);

    Context context = vertx.getOrCreateContext();
    LinkedBlockingQueue<Object> arrivals = new LinkedBlockingQueue<>();
    Promise<Void> registered = Promise.promise();
    context.runOnContext(x -> vertx.eventBus().<JsonObject>consumer(Addresses.view("counter"), m -> arrivals.add("counter batch"))
      .completion().onComplete(registered));
    registered.future().await(10, TimeUnit.SECONDS);
    RecordFiles.append(file(), RecordFiles.recordsOf(List.of("{\"user\":\"Z\",\"wiki\":\"w1\",\"timestamp\":" + (t0 + 86_400) + "}"), 60_000));
    List<ViewParams> burst = new ArrayList<>();
    for (int w = 0; w < 70; w++) {
      for (Boolean bot : java.util.Arrays.asList(null, true, false)) {
        burst.add(new ViewParams(View.TOP10, "w" + w, bot, Window.DAY));
      }
    }
    context.runOnContext(x -> {
      for (ViewParams p : burst) {
        vertx.eventBus().<JsonObject>request(Addresses.snapshot("top10"), p.toJson())
          .onComplete(r -> arrivals.add(r.succeeded() ? "reply" : r.cause()));
      }
    });
    List<Object> seen = new ArrayList<>();
    Wait.until("every reply", Duration.ofSeconds(120), () -> {
      arrivals.drainTo(seen);
      return seen.stream().filter("reply"::equals).count() == burst.size();
    }, () -> seen.size() + " arrivals");
    assertThat(seen).doesNotHaveAnyElementsOfTypes(Throwable.class);
    assertThat(seen).as("the counter's batch before the burst's last reply").contains("counter batch");
    assertThat(seen.indexOf("counter batch")).isLessThan(seen.size() - 1);
    assertThat(Samples.of(vertx).count("wikirecent_views_instances")).isEqualTo(burst.size());
  }

  private static LinkedBlockingQueue<JsonObject> subscribe(Vertx vertx, String address) throws Exception {
    LinkedBlockingQueue<JsonObject> queue = new LinkedBlockingQueue<>();
    Promise<Void> registered = Promise.promise();
    vertx.getOrCreateContext().runOnContext(x -> {
      MessageConsumer<JsonObject> c = vertx.eventBus().consumer(address, m -> queue.add(m.body()));
      c.completion().onComplete(registered);
    });
    registered.future().await(10, TimeUnit.SECONDS);
    return queue;
  }
}
