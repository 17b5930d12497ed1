package wikirecent.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.XmlConfigBuilder;
import io.vertx.core.Completable;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.NodeInfo;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import wikirecent.config.Config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The cluster manager behind {@code -cluster}: Hazelcast, configured from {@code conf/cluster.xml}
 * and the {@code cluster.*} keys only when the node joins, so a non-clustered start never reads
 * any of it. A user who brings a whole Hazelcast configuration through Vert.x's own
 * {@code -Dvertx.hazelcast.config=...} gets exactly that, and the keys are left unused.
 */
public final class Cluster extends HazelcastClusterManager {

  private static final Logger log = LoggerFactory.getLogger(Cluster.class);
  /** Vert.x's own way to hand Hazelcast a complete configuration file. */
  public static final String FULL_CONFIG_PROPERTY = "vertx.hazelcast.config";
  static final String BASE_CONFIG = "/conf/cluster.xml";
  private static final String LOGGING_PROPERTY = "hazelcast.logging.type";

  /** The launcher's {@code -conf} (may be null); merged with the defaults and the environment when read. */
  private final JsonObject conf;
  private final Map<String, String> env;
  /** The event-bus host once the launcher has applied its options ({@code -cluster-host} wins); null: follow Hazelcast. */
  private volatile String busHost;
  /** Which cluster, where, looking for whom: set once the configuration is built. */
  private volatile String summary;
  private volatile boolean joinAttempted;

  public Cluster(JsonObject conf) {
    this(conf, System.getenv());
  }

  /** {@code env}: where the {@code WIKIRECENT_CLUSTER_*} overrides come from (tests pass their own). */
  Cluster(JsonObject conf, Map<String, String> env) {
    this.conf = conf;
    this.env = env;
  }

  /**
   * Sets the event bus's address from {@code cluster.host} unless the command line already chose
   * one; Hazelcast then binds and advertises the same address, so one setting places the node.
   */
  public void placeEventBus(EventBusOptions bus) {
    if (bus.getHost() == null && System.getProperty(FULL_CONFIG_PROPERTY) == null) {
      String host = hostKey();
      if (host != null && !ClusterSettings.AUTO.equalsIgnoreCase(host)) {
        bus.setHost(host);
      }
    }
    busHost = bus.getHost();
  }

  private String hostKey() {
    try {
      return config().string(Config.CLUSTER_HOST).trim();
    } catch (IllegalArgumentException e) {
      return null; // reported when joining
    }
  }

  private Config config() {
    return Config.of(Config.load(conf, env));
  }

  @Override
  public void join(Completable<Void> promise) {
    joinAttempted = true;
    if (System.getProperty(LOGGING_PROPERTY) == null) {
      // Hazelcast logs (even while reading its config) before it sees the config's own setting
      System.setProperty(LOGGING_PROPERTY, "slf4j");
    }
    try {
      if (getConfig() == null) {
        setConfig(hazelcastConfig());
      }
    } catch (RuntimeException e) {
      promise.fail(e);
      return;
    }
    log.info("Joining cluster {}", summary);
    super.join((v, failure) -> {
      if (failure == null) {
        getHazelcastInstance().getCluster().addMembershipListener(new MembershipLog());
      }
      promise.complete(v, failure);
    });
  }

  @Override
  public void leave(Completable<Void> promise) {
    if (getHazelcastInstance() == null) {
      promise.succeed(); // the join failed before Hazelcast started: nothing to leave (the stock one throws here)
      return;
    }
    super.leave(promise);
  }

  private com.hazelcast.config.Config hazelcastConfig() {
    String full = System.getProperty(FULL_CONFIG_PROPERTY);
    if (full != null) {
      // Vert.x would quietly fall back to its multicast default if the file were not there
      if (!full.startsWith("classpath:") && !Files.isReadable(Path.of(full))) {
        throw new IllegalArgumentException(FULL_CONFIG_PROPERTY + "=" + full + ": no such readable file");
      }
      com.hazelcast.config.Config c = ConfigUtil.loadConfig();
      if (c == null) {
        throw new IllegalArgumentException("cannot read the Hazelcast configuration " + FULL_CONFIG_PROPERTY + "=" + full);
      }
      summary = "'" + c.getClusterName() + "' with the Hazelcast configuration " + full + " (cluster.* keys not used)";
      return c;
    }
    ClusterSettings settings = ClusterSettings.of(config());
    String host = busHost != null ? busHost : settings.autoHost() ? null : settings.host();
    summary = "'" + settings.name() + "' at " + (host == null ? "an address Hazelcast picks" : host)
      + " (port " + settings.port() + "+), looking for members " + String.join(",", settings.members());
    return hazelcastConfig(settings, host);
  }

  /** {@code conf/cluster.xml} with the keys applied; {@code host} null lets Hazelcast pick an interface. */
  static com.hazelcast.config.Config hazelcastConfig(ClusterSettings settings, String host) {
    com.hazelcast.config.Config c;
    try (InputStream in = Cluster.class.getResourceAsStream(BASE_CONFIG)) {
      if (in == null) {
        throw new IllegalStateException(BASE_CONFIG + " is missing from the classpath");
      }
      c = new XmlConfigBuilder(in).build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    c.setClusterName(settings.name());
    NetworkConfig network = c.getNetworkConfig();
    network.setPort(settings.port()).setPortAutoIncrement(true);
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(settings.members());
    if (host != null) {
      // Bind only this address: on a laptop the default loopback keeps the cluster off the network.
      c.setProperty("hazelcast.local.localAddress", host);
      c.setProperty("hazelcast.socket.bind.any", "false");
    }
    return c;
  }

  /** One readable line: which cluster, as which member, with whom. */
  public void logJoined() {
    com.hazelcast.cluster.Cluster hz = getHazelcastInstance().getCluster();
    NodeInfo bus = getNodeInfo();
    int size = hz.getMembers().size();
    String line = String.format("Joined cluster '%s' as member %s (event bus %s:%d) with %d member%s: %s",
      getConfig().getClusterName(), hz.getLocalMember().getAddress(), bus == null ? "?" : bus.host(),
      bus == null ? 0 : bus.port(), size, size == 1 ? "" : "s", members(hz));
    if (size == 1) {
      line += "; no other member answered yet, they join this one when they start";
    }
    log.info(line);
  }

  /** Says why the node could not join, with the settings that decide it. */
  public void logJoinFailure(Throwable cause) {
    if (joinAttempted && summary == null) {
      log.error("Could not configure the cluster: {}", cause == null ? "timed out" : cause.getMessage());
    } else if (joinAttempted) {
      log.error("Could not join cluster {}: {}. Check {} (an address of this machine, a name that resolves to one, or auto), "
          + "{} (a free port from there on) and {}", summary, cause == null ? "timed out" : cause.toString(),
        setting(Config.CLUSTER_HOST), setting(Config.CLUSTER_PORT), setting(Config.CLUSTER_MEMBERS));
    }
  }

  private static String setting(String key) {
    return key + " (" + Config.envName(key) + ")";
  }

  private static String members(com.hazelcast.cluster.Cluster hz) {
    return hz.getMembers().stream().map(m -> m.getAddress() + (m.localMember() ? " (this one)" : ""))
      .collect(Collectors.joining(", "));
  }

  /** A line per member that comes or goes: what an operator watches when a node dies. */
  private final class MembershipLog implements MembershipListener {
    @Override
    public void memberAdded(MembershipEvent event) {
      log.info("Cluster member joined: {} ({} members)", event.getMember().getAddress(), event.getMembers().size());
    }

    @Override
    public void memberRemoved(MembershipEvent event) {
      Member m = event.getMember();
      log.info("Cluster member left: {} ({} members); its event-bus consumers are dropped", m.getAddress(), event.getMembers().size());
    }
  }
}
