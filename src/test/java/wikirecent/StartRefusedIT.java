package wikirecent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.testsupport.JarProcess;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The jar, started as a user starts it, refuses what cannot work with one clear line, no stack trace. */
class StartRefusedIT {

  /**
   * A {@code -conf} that names no JSON stops the jar, as a bad key in it does. The launcher itself only warned and went
   * on with the defaults: a node meant to run ingest alone on its own data directory ran every part on {@code data}.
   */
  @Test
  void aConfFileThatIsMissingOrNotJsonStopsTheStart(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("typo.json"), "{\"roles\": \"web\", \"http.port\": 0,}");
    Files.writeString(dir.resolve("good.json"), "{\"roles\": \"web\", \"http.port\": 0}");
    for (String conf : new String[] {"typo.json", "missing.json", "--conf=typo.json"}) {
      String[] args = conf.startsWith("--") ? new String[] {conf} : new String[] {"-conf", conf};
      try (JarProcess app = JarProcess.start("conf", dir, dir, Map.of(), JarProcess.SMALL_JVM, args)) {
        assertThat(app.exitCode(Duration.ofSeconds(60))).as(conf).isEqualTo(2);
        assertThat(app.output()).as(conf).contains("not starting: -conf names neither a readable JSON file nor JSON text")
          .doesNotContain("Starting roles");
      }
    }
    try (JarProcess app = JarProcess.start("conf", dir, dir, Map.of(), JarProcess.SMALL_JVM, "-conf", "good.json")) {
      assertThat(app.awaitHttpPort()).as("the same file without its typo starts").isPositive();
      assertThat(app.output()).contains("Starting roles [web]");
    }
  }

  /** A bad value, and a port another process holds: the line names the key and its variable, and nothing else is printed. */
  @Test
  void aBadValueOrAPortInUseIsOneLineNamingTheKey(@TempDir Path dir) throws Exception {
    try (JarProcess app = JarProcess.start("bad-value", dir, dir, Map.of("WIKIRECENT_ENGINE_POLL_MILLIS", "-5"), JarProcess.SMALL_JVM)) {
      assertThat(app.exitCode(Duration.ofSeconds(60))).isEqualTo(15);
      assertThat(app.output()).contains("engine.pollMillis (WIKIRECENT_ENGINE_POLL_MILLIS) must be a whole number from 1 to")
        .doesNotContain("\tat ");
    }
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
         JarProcess app = JarProcess.start("port-taken", dir, dir, Map.of("WIKIRECENT_ROLES", "web",
           "WIKIRECENT_HTTP_PORT", String.valueOf(taken.getLocalPort())), JarProcess.SMALL_JVM)) {
      assertThat(app.exitCode(Duration.ofSeconds(60))).isEqualTo(15);
      assertThat(app.output()).contains("the web part cannot listen on http.port " + taken.getLocalPort(), "set WIKIRECENT_HTTP_PORT")
        .doesNotContain("\tat ");
    }
  }
}
