package wikirecent.cluster;

import wikirecent.config.Config;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code cluster.*} keys: what a node needs to find the others.
 *
 * @param name    clusters with different names ignore each other, even on one host
 * @param members where to look for the others: {@code host} or {@code host:port}
 * @param host    the address this node binds and advertises (Hazelcast and the event bus), or
 *                {@link #AUTO}: Hazelcast picks a non-loopback interface and the event bus follows
 * @param port    Hazelcast's first port; the next free one is taken if it is in use
 */
public record ClusterSettings(String name, List<String> members, String host, int port) {

  /** {@code cluster.host=auto}: no fixed address (containers, where each replica has its own). */
  public static final String AUTO = "auto";

  public ClusterSettings {
    members = List.copyOf(members);
  }

  /** Reads and checks the keys; IllegalArgumentException naming the key (and its variable) when one is unusable. */
  public static ClusterSettings of(Config config) {
    String name = config.string(Config.CLUSTER_NAME).trim();
    if (name.isEmpty()) {
      throw bad(Config.CLUSTER_NAME, "must not be empty");
    }
    List<String> members = new ArrayList<>();
    for (String m : config.string(Config.CLUSTER_MEMBERS).split(",")) {
      if (!m.isBlank()) {
        members.add(m.trim());
      }
    }
    if (members.isEmpty()) {
      throw bad(Config.CLUSTER_MEMBERS, "must name at least one host[:port] (this node's own address will do for the first node)");
    }
    String host = config.string(Config.CLUSTER_HOST).trim();
    if (host.isEmpty()) {
      throw bad(Config.CLUSTER_HOST, "must be an address of this machine, a host name that resolves to one, or " + AUTO);
    }
    return new ClusterSettings(name, members, host, config.integer(Config.CLUSTER_PORT)); // its range: Config's
  }

  public boolean autoHost() {
    return AUTO.equalsIgnoreCase(host);
  }

  private static IllegalArgumentException bad(String key, String what) {
    return new IllegalArgumentException(key + " (" + Config.envName(key) + ") " + what);
  }
}
