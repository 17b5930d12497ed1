package wikirecent.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MultiMapConfig;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The cluster.* keys and how they land in Hazelcast's configuration and the event bus options. */
class ClusterConfigTest {

  private static ClusterSettings settings(Map<String, String> env) {
    return ClusterSettings.of(wikirecent.config.Config.of(wikirecent.config.Config.load(null, env)));
  }

  @Test
  void theDefaultsFormALoopbackCluster() {
    ClusterSettings s = settings(Map.of());
    assertThat(s).isEqualTo(new ClusterSettings("wikirecent", List.of("127.0.0.1"), "127.0.0.1", 5701));
    assertThat(s.autoHost()).isFalse();
  }

  @Test
  void environmentVariablesSetEveryKey() {
    ClusterSettings s = settings(Map.of(
      "WIKIRECENT_CLUSTER_NAME", "blue",
      "WIKIRECENT_CLUSTER_MEMBERS", " app:5701, web ,,10.0.0.7:5702 ",
      "WIKIRECENT_CLUSTER_HOST", "AUTO",
      "WIKIRECENT_CLUSTER_PORT", "6000"));
    assertThat(s).isEqualTo(new ClusterSettings("blue", List.of("app:5701", "web", "10.0.0.7:5702"), "AUTO", 6000));
    assertThat(s.autoHost()).isTrue();
  }

  @Test
  void unusableValuesNameTheKeyAndItsVariable() {
    assertThatThrownBy(() -> settings(Map.of("WIKIRECENT_CLUSTER_PORT", "0")))
      .hasMessageContaining("cluster.port (WIKIRECENT_CLUSTER_PORT)").hasMessageContaining("not 0");
    assertThatThrownBy(() -> settings(Map.of("WIKIRECENT_CLUSTER_PORT", "70000"))).hasMessageContaining("not 70000");
    assertThatThrownBy(() -> settings(Map.of("WIKIRECENT_CLUSTER_MEMBERS", " , ")))
      .hasMessageContaining("cluster.members (WIKIRECENT_CLUSTER_MEMBERS)");
    assertThatThrownBy(() -> settings(Map.of("WIKIRECENT_CLUSTER_NAME", " ")))
      .hasMessageContaining("cluster.name (WIKIRECENT_CLUSTER_NAME)");
    assertThatThrownBy(() -> settings(Map.of("WIKIRECENT_CLUSTER_HOST", "")))
      .hasMessageContaining("cluster.host (WIKIRECENT_CLUSTER_HOST)");
    assertThatThrownBy(() -> ClusterSettings.of(wikirecent.config.Config.of(
      wikirecent.config.Config.load(new JsonObject().put("cluster.port", "fifty"), Map.of()))))
      .hasMessageContaining("cluster.port (WIKIRECENT_CLUSTER_PORT) must be a whole number from 1 to 65535, not 'fifty'");
  }

  @Test
  void theKeysReplaceWhatTheBaseFileSays() {
    ClusterSettings s = new ClusterSettings("green", List.of("10.0.0.1", "10.0.0.2:5710"), "10.0.0.1", 5710);
    Config c = Cluster.hazelcastConfig(s, "10.0.0.1");

    assertThat(c.getClusterName()).isEqualTo("green");
    assertThat(c.getNetworkConfig().getPort()).isEqualTo(5710);
    assertThat(c.getNetworkConfig().isPortAutoIncrement()).isTrue();
    JoinConfig join = c.getNetworkConfig().getJoin();
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
    assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
    assertThat(join.getTcpIpConfig().getMembers()).containsExactly("10.0.0.1", "10.0.0.2:5710");
    assertThat(c.getProperty("hazelcast.local.localAddress")).isEqualTo("10.0.0.1");
    assertThat(c.getProperty("hazelcast.socket.bind.any")).isEqualTo("false");
  }

  @Test
  void theBaseFileIsQuietAndKeepsWhatVertxStoresInHazelcast() {
    Config c = Cluster.hazelcastConfig(settings(Map.of()), null);
    assertThat(c.getProperty("hazelcast.phone.home.enabled")).isEqualTo("false");
    assertThat(c.getProperty("hazelcast.wait.seconds.before.join")).isEqualTo("0");
    assertThat(c.getProperty("hazelcast.logging.type")).isEqualTo("slf4j");
    // auto host: Hazelcast picks the interface, and listens on all of them
    assertThat(c.getProperty("hazelcast.local.localAddress")).isNull();
    assertThat(c.getProperty("hazelcast.socket.bind.any")).isNull();
    MultiMapConfig subs = c.getMultiMapConfigs().get("__vertx.subs");
    assertThat(subs).as("the event-bus registrations map").isNotNull();
    assertThat(subs.getValueCollectionType()).isEqualTo(MultiMapConfig.ValueCollectionType.SET);
    assertThat(c.getMapConfigs()).containsKeys("__vertx.haInfo", "__vertx.nodeInfo");
  }

  @Test
  void theEventBusTakesClusterHostUnlessTheCommandLineChoseOne() {
    EventBusOptions bus = new EventBusOptions();
    new Cluster(null, Map.of()).placeEventBus(bus);
    assertThat(bus.getHost()).isEqualTo("127.0.0.1");

    bus = new EventBusOptions();
    new Cluster(new JsonObject().put("cluster.host", "10.1.2.3"), Map.of("WIKIRECENT_CLUSTER_HOST", "app")).placeEventBus(bus);
    assertThat(bus.getHost()).as("the environment beats -conf").isEqualTo("app");

    bus = new EventBusOptions().setHost("192.168.1.5"); // -cluster-host 192.168.1.5
    new Cluster(null, Map.of("WIKIRECENT_CLUSTER_HOST", "app")).placeEventBus(bus);
    assertThat(bus.getHost()).isEqualTo("192.168.1.5");

    bus = new EventBusOptions();
    new Cluster(null, Map.of("WIKIRECENT_CLUSTER_HOST", "auto")).placeEventBus(bus);
    assertThat(bus.getHost()).as("auto: the event bus follows the address Hazelcast picks").isNull();
  }
}
