package wikirecent.cluster;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.testsupport.JarProcess;
import wikirecent.testsupport.Ports;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** How a clustered node starts, or refuses to, as a user sees it: the jar with {@code -cluster}. */
class ClusterStartIT {

  /** TEST-NET-3 (RFC 5737): never an address of this machine. */
  private static final String FOREIGN_ADDRESS = "203.0.113.1";

  @TempDir
  Path dir;

  private final Path logs = Path.of("target", "cluster-it", "start-" + UUID.randomUUID().toString().substring(0, 8)).toAbsolutePath();
  private final List<JarProcess> nodes = new ArrayList<>();

  @AfterEach
  void stop() throws InterruptedException {
    for (JarProcess n : nodes) {
      n.stop();
    }
  }

  private JarProcess start(String name, Map<String, String> env, String... args) throws Exception {
    JarProcess n = JarProcess.start(name, logs, dir.resolve(name), env, JarProcess.SMALL_JVM, args);
    nodes.add(n);
    return n;
  }

  private static Map<String, String> env(String host, int port) {
    return Map.of(
      "WIKIRECENT_ROLES", "web",
      "WIKIRECENT_HTTP_PORT", "0",
      "WIKIRECENT_CLUSTER_NAME", "start-" + UUID.randomUUID(),
      "WIKIRECENT_CLUSTER_HOST", host,
      "WIKIRECENT_CLUSTER_PORT", String.valueOf(port),
      "WIKIRECENT_CLUSTER_MEMBERS", "127.0.0.1:" + port);
  }

  @Test
  void aNodeThatCannotTakeItsAddressSaysWhyAndExits() throws Exception {
    JarProcess n = start("foreign-host", env(FOREIGN_ADDRESS, Ports.freePort()), "-cluster");
    int code = n.exitCode(Duration.ofSeconds(90));
    String out = n.output();
    assertThat(code).as(out).isNotZero();
    assertThat(out).contains("Could not join cluster 'start-")
      .contains("at " + FOREIGN_ADDRESS)
      .contains("Check cluster.host (WIKIRECENT_CLUSTER_HOST)")
      .doesNotContain("Failed to leave cluster"); // nothing to leave: no second, misleading failure
  }

  @Test
  void anUnusableClusterSettingIsNamedAndTheNodeExits() throws Exception {
    JarProcess n = start("bad-port", env("127.0.0.1", 70000), "-cluster");
    int code = n.exitCode(Duration.ofSeconds(90));
    assertThat(code).as(n.output()).isNotZero();
    assertThat(n.output()).contains("Could not configure the cluster: cluster.port (WIKIRECENT_CLUSTER_PORT) "
      + "must be a whole number from 1 to 65535, not 70000");
  }

  @Test
  void theCommandLinesClusterHostWinsForHazelcastAndTheEventBus() throws Exception {
    int port = Ports.freePort();
    // cluster.host alone would fail as above; -cluster-host puts the whole node on loopback instead
    JarProcess n = start("cli-host", env(FOREIGN_ADDRESS, port), "-cluster", "-cluster-host", "127.0.0.1");
    int joinedOn = n.awaitJoined(1);
    assertThat(joinedOn).isEqualTo(port);
    assertThat(n.awaitLog(Pattern.compile("as member \\[127\\.0\\.0\\.1]:\\d+ \\(event bus 127\\.0\\.0\\.1:\\d+\\)"), Duration.ofSeconds(30)))
      .isNotNull();
    n.awaitHttpPort();
  }
}
