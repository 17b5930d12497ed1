package wikirecent.web;

import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.bus.Addresses;
import wikirecent.bus.ViewParams;
import wikirecent.config.Config;
import wikirecent.replay.ReplayOptions;
import wikirecent.replay.ReplayServer;
import wikirecent.status.Metrics;
import wikirecent.testsupport.Churn;
import wikirecent.testsupport.Wait;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sessions of every kind opening and ending for seconds against the whole pipeline (replay feed cut every few hundred
 * events → ingest → file → engine → web): streams and SockJS sessions closed cleanly or cut with a TCP reset and
 * frames unread, sockets that stop reading, REST GETs that open parameter sets, the page. Once they are gone and the
 * idle times have passed, the node holds nothing for them: no connection, no client, no bytes queued, no replica or
 * instance beyond those it held before; and every session went as its kind should.
 */
class ChurnIT {

  private static final int SESSIONS = 60;
  private static final Duration CHURN = Duration.ofSeconds(12);

  @Test
  void aNodeHoldsNothingForSessionsThatAreGone(@TempDir Path dir) throws Exception {
    Vertx vertx = Vertx.vertx();
    Vertx clients = Vertx.vertx();
    try {
      ReplayServer feed = Wait.on(ReplayServer.start(vertx, new ReplayOptions().host("127.0.0.1").port(0).rate(200).loop(true)
        .cutEvery(400)));
      JsonObject settings = new JsonObject()
        .put(Config.DATA_DIR, dir.toString())
        .put(Config.STREAM_URL, feed.url())
        .put(Config.INGEST_FSYNC_MILLIS, -1)
        .put(Config.INGEST_BACKOFF_MILLIS, 20)
        .put(Config.VIEWS_INSTANCE_IDLE_SECONDS, 1)
        .put(Config.VIEWS_KEEP_ALIVE_MILLIS, 200)
        .put(Config.WEB_REPLICA_LINGER_SECONDS, 1)
        .put(Config.WEB_STUCK_CLIENT_MILLIS, 1_000);
      WebNode web = WebNode.startPipeline(vertx, settings);
      Wait.until("the views are live", () -> Http.get(clients, web.port(), "/api/views/counter").statusCode() == 200);

      Map<String, Integer> before = replicas(web);
      Churn churn = new Churn(clients, web.port(), keys(), SESSIONS, 7, Churn.pageFollow(Addresses::view, Addresses::snapshot));
      Wait.on(churn.start());
      Thread.sleep(CHURN.toMillis());
      Wait.on(churn.stop(), Duration.ofSeconds(60));
      Wait.on(churn.close());
      Wait.on(clients.close()); // its HTTP connections too

      Map<String, Long> outcomes = churn.outcomes();
      for (Churn.Kind kind : Churn.Kind.values()) {
        String ok = kind.name().toLowerCase() + " ok";
        assertThat(outcomes.getOrDefault(ok, 0L)).as("%s sessions that went as they should, of %s", kind, outcomes).isPositive();
      }
      assertThat(churn.failures()).as("sessions that did not go as their kind should: %s", outcomes).isZero();

      Wait.until("the node holds nothing for the sessions that are gone", Duration.ofSeconds(30),
        () -> held(web, vertx).equals(nothingHeld(before)), () -> "held " + held(web, vertx) + ", before " + nothingHeld(before));
      // Still serving: a new client gets its snapshot.
      assertThat(Http.get(vertx, web.port(), "/api/views/top10").statusCode()).isEqualTo(200);
    } finally {
      clients.close();
      Wait.on(vertx.close());
    }
  }

  /** The default views and parameter sets, as canonical keys (SockJS follows them by their canonical address). */
  private static List<String> keys() {
    List<String> keys = new ArrayList<>(List.of("counter", "top10", "user_edits", "top_wikis", "edits_per_minute", "wiki_edits"));
    for (String k : List.of("counter?wiki=enwiki", "counter?bot=true&window=5m", "top10?bot=false&window=1h",
      "top10?wiki=commonswiki&window=24h", "top_wikis?window=5m", "edits_per_minute?wiki=enwiki", "top_wikis?bot=true")) {
      keys.add(ViewParams.parse(k).toString());
    }
    return keys;
  }

  private static Map<String, Integer> replicas(WebNode web) {
    Map<String, Integer> out = new HashMap<>();
    for (ViewParams.View v : ViewParams.View.values()) {
      out.put(v.viewName(), web.heldReplicas(v.viewName()));
    }
    return out;
  }

  /** What a node holds when no session is left: the replicas it held before, no instance, nothing else. */
  private static Map<String, Object> nothingHeld(Map<String, Integer> replicasBefore) {
    Map<String, Object> out = new HashMap<>();
    out.put("replicas", replicasBefore);
    out.put("connections", 0);
    out.put("websocket clients", 0);
    out.put("sockjs clients", 0);
    out.put("stalled", 0);
    out.put("queued bytes", 0L);
    out.put("instances", 0.0);
    return out;
  }

  private static Map<String, Object> held(WebNode web, Vertx vertx) {
    Map<String, Object> out = new HashMap<>();
    out.put("replicas", replicas(web));
    out.put("connections", web.openConnections());
    out.put("websocket clients", web.inspect(f -> f.clientCount(Client.Transport.WEBSOCKET)));
    out.put("sockjs clients", web.inspect(f -> f.clientCount(Client.Transport.SOCKJS)));
    out.put("stalled", web.inspect(FanOut::stalledCount));
    out.put("queued bytes", web.inspect(FanOut::queuedBytes));
    Gauge instances = Metrics.registry(vertx).find("wikirecent.views.instances").gauge();
    out.put("instances", instances == null ? -1.0 : instances.value());
    return out;
  }
}
