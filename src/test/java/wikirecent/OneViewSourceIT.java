package wikirecent;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.cluster.Cluster;
import wikirecent.config.Config;
import wikirecent.testsupport.Ports;
import wikirecent.testsupport.Wait;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two processes with the views role started together in one cluster: neither's source answers yet when the other
 * asks, so only the cluster's view-source lock keeps one of them out. Two clustered Vert.x in this JVM, each a
 * Hazelcast member of a cluster of their own.
 */
class OneViewSourceIT {

  @TempDir
  Path dir;

  private final List<Vertx> members = new ArrayList<>();
  private final List<Cluster> clusters = new ArrayList<>();

  @AfterEach
  void leave() {
    for (Vertx v : members) {
      Wait.on(v.close(), Duration.ofSeconds(60));
    }
  }

  private Vertx join(JsonObject clusterConf) {
    Cluster cluster = new Cluster(clusterConf);
    clusters.add(cluster);
    VertxOptions options = new VertxOptions();
    cluster.placeEventBus(options.getEventBusOptions());
    Vertx v = Wait.on(Vertx.builder().with(options).withClusterManager(cluster).buildClustered(), Duration.ofSeconds(90));
    members.add(v);
    return v;
  }

  private JsonObject source(String name) {
    return new JsonObject().put(Config.ROLES, "views").put(Config.HTTP_PORT, 0)
      .put(Config.DATA_DIR, dir.resolve(name).toString());
  }

  @Test
  void twoStartedTogetherMakeOneSourceAndTheOtherTakesOverWhenItGoes() {
    int port = Ports.freePort();
    JsonObject clusterConf = new JsonObject().put(Config.CLUSTER_NAME, "one-source-" + UUID.randomUUID())
      .put(Config.CLUSTER_PORT, port).put(Config.CLUSTER_MEMBERS, "127.0.0.1:" + port + ",127.0.0.1:" + (port + 1));
    Vertx a = join(clusterConf);
    Vertx b = join(clusterConf);
    Wait.until("both members in one cluster", () -> clusters.get(0).getNodes().size() == 2);

    Future<String> first = a.deployVerticle(new MainVerticle(5_000), new DeploymentOptions().setConfig(source("a")));
    Future<String> second = b.deployVerticle(new MainVerticle(5_000), new DeploymentOptions().setConfig(source("b")));
    Wait.on(Future.join(first, second).otherwiseEmpty(), Duration.ofSeconds(60));
    assertThat(List.of(first.succeeded(), second.succeeded())).as("exactly one source runs: %s / %s",
      first.cause(), second.cause()).containsExactlyInAnyOrder(true, false);
    Future<String> refused = first.failed() ? first : second;
    assertThat(refused.cause().getMessage()).containsAnyOf("holds this cluster's view-source lock",
      "another view source already runs in this cluster");
    Vertx loser = first.failed() ? a : b;
    Vertx winner = first.failed() ? b : a;
    assertThat(loser.deploymentIDs()).as("the refused one started no part").isEmpty();

    // The running source goes (undeployed: its lock is released): the other may start now.
    Wait.on(winner.undeploy(first.failed() ? second.result() : first.result()));
    Wait.on(loser.deployVerticle(new MainVerticle(5_000), new DeploymentOptions().setConfig(source("again"))),
      Duration.ofSeconds(60));
  }
}
