package wikirecent.web;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.testsupport.Child;
import wikirecent.testsupport.JarProcess;
import wikirecent.testsupport.Wait;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The jar with an open-file limit of 512 and the default {@code web.maxConnections} (0: the limit
 * less a reserve): connections past the cap are refused at once, so it keeps descriptors for
 * everything else, and it answers again as soon as a few go away. Needs {@code mvn package}
 * first (failsafe runs after it).
 */
class ConnectionCapIT {

  private static final int FD_LIMIT = 512;
  private static final Pattern LISTENING = Pattern.compile("Web listening on port (\\d+)");
  /** The default web.maxConnections for that limit: all but a reserve (a quarter, at least 200). */
  private static final int CAP = FD_LIMIT - 200;

  @Test
  void withFewFileDescriptorsTheExcessIsRefusedAndTheServerStaysUsable(@TempDir Path dir) throws Exception {
    String java = Child.jarCommand(JarProcess.JAR, JarProcess.SMALL_JVM, List.of()).stream()
      .map(a -> "'" + a + "'").collect(Collectors.joining(" "));
    // ulimit -n sets the hard limit too, so the JVM cannot raise it again.
    ProcessBuilder pb = new ProcessBuilder("sh", "-c", "ulimit -n " + FD_LIMIT + " && exec " + java).directory(dir.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("WIKIRECENT_"));
    pb.environment().put("WIKIRECENT_ROLES", "web");
    pb.environment().put("WIKIRECENT_HTTP_PORT", "0");
    pb.environment().put("WIKIRECENT_WEB_REQUEST_HEAD_TIMEOUT_SECONDS", "600"); // the held connections stay
    Path log = dir.resolve("web.log");
    Files.writeString(log, "");
    List<RawHttp> sockets = new ArrayList<>();
    try (Child app = Child.start("web", pb, log, false)) {
      Matcher[] m = new Matcher[1];
      Wait.until("the web part listens", Duration.ofSeconds(90), () -> {
        m[0] = LISTENING.matcher(Files.readString(log));
        return m[0].find() || !app.alive();
      }, () -> app.logTail(20));
      assertThat(app.alive()).as("running; log:\n%s", app.logTail(20)).isTrue();
      int port = Integer.parseInt(m[0].group(1));
      int cap = CAP;
      // More than the cap, less than the limit: the old server held them all, fds it needs for anything else.
      int total = CAP + 150;
      for (int i = 0; i < total; i++) {
        sockets.add(RawHttp.connect(port));
      }
      // Those over the cap are closed at once; the others are held (no timeout for 600 s).
      Wait.until("every connection over the cap is closed", Wait.LONG, () -> closedCount(sockets) == total - cap,
        () -> closedCount(sockets) + " of " + total + " closed; log:\n" + app.logTail(10));
      Thread.sleep(1_000); // the scenario: a second for a held connection to be closed by mistake
      assertThat(closedCount(sockets)).as("no held connection was closed").isEqualTo(total - cap);

      // A few leave: the server answers again.
      int leaving = 0;
      for (RawHttp s : sockets) {
        if (leaving < 10 && !s.closedByServer(1)) {
          s.close();
          leaving++;
        }
      }
      int[] refusedProbes = {0}; // until the server has seen those closes, a probe is still over the cap
      Wait.until("/health/live answers", () -> {
        try {
          return RawHttp.exchange(port, "GET /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").status() == 200;
        } catch (IOException e) {
          refusedProbes[0]++;
          return false;
        }
      });
      String metrics = RawHttp.exchange(port, "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").body();
      assertThat(metrics).contains("wikirecent_web_connections_refused_total " + (total - cap + refusedProbes[0]) + ".0");
      String output = Files.readString(log);
      assertThat(output).doesNotContainIgnoringCase("too many open files").doesNotContain("\tat ");
      assertThat(output.lines().filter(l -> l.contains("Refused a connection")).count()).as("rate-limited").isLessThanOrEqualTo(3);
      app.stop(Duration.ofSeconds(30));
    } finally {
      for (RawHttp s : sockets) {
        s.close();
      }
    }
  }

  /** How many of the sockets the server has closed (a 1 ms look at each). */
  private static int closedCount(List<RawHttp> sockets) {
    int n = 0;
    for (RawHttp s : sockets) {
      try {
        if (s.closedByServer(1)) {
          n++;
        }
      } catch (IOException e) {
        n++;
      }
    }
    return n;
  }
}
