package wikirecent.ingest;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.config.Config;
import wikirecent.testsupport.LogCapture;
import wikirecent.testsupport.Wait;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static wikirecent.ingest.IngestTesting.PATIENCE;
import static wikirecent.ingest.IngestTesting.assertFileHolds;
import static wikirecent.ingest.IngestTesting.awaitRecords;
import static wikirecent.ingest.IngestTesting.config;
import static wikirecent.ingest.IngestTesting.counter;
import static wikirecent.ingest.IngestTesting.skipped;
import static wikirecent.ingest.IngestTesting.deploy;
import static wikirecent.ingest.IngestTesting.status;

/**
 * A feed that starts a line and never ends it, fast or at a trickle: the line is dropped and counted as soon as
 * it passes ingest.maxEventBytes, and a connection that delivers no complete event (nor heartbeat) for
 * stream.idleTimeoutSeconds is cut and resumed, the status saying so meanwhile.
 */
@ExtendWith(VertxExtension.class)
class IngestEndlessLineIT {

  private static final int MAX_EVENT_BYTES = 64 * 1024;

  @TempDir
  Path dir;

  @RegisterExtension
  final LogCapture logs = new LogCapture("wikirecent.ingest");

  private Path file() {
    return dir.resolve(Config.FILE_NAME);
  }

  private static String data(String metaId) {
    return "{\"meta\":{\"id\":\"" + metaId + "\",\"domain\":\"en.wikipedia.org\"},\"user\":\"U" + metaId + "\"}";
  }

  private static String event(String id, String metaId) {
    return "event: message\nid: " + id + "\ndata: " + data(metaId) + "\n\n";
  }

  /** One event, then a data line that never ends: {@code chunk} bytes every {@code everyMillis} while connected. */
  private static ScriptedSseServer.Reply endlessLineAfter(String first, int chunk, long everyMillis) {
    return (vertx, req) -> {
      HttpServerResponse resp = req.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
      resp.write(":ok\n\n" + first + "event: message\nid: endless\ndata: {\"user\":\"");
      Buffer piece = Buffer.buffer("x".repeat(chunk));
      long timer = vertx.setPeriodic(everyMillis, id -> {
        if (!resp.writeQueueFull()) {
          resp.write(piece);
        }
      });
      resp.closeHandler(v -> vertx.cancelTimer(timer));
    };
  }

  /** Events for a resume from id 1, then a heartbeat comment every 300 ms: a healthy, quiet stream. */
  private static ScriptedSseServer.Reply resumedWithHeartbeats(String events) {
    return (vertx, req) -> {
      HttpServerResponse resp = req.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
      resp.write(":ok\n\n" + ("1".equals(req.getHeader("Last-Event-ID")) ? events : ""));
      long heartbeat = vertx.setPeriodic(300, id -> resp.write(":\n"));
      resp.closeHandler(x -> vertx.cancelTimer(heartbeat));
    };
  }

  @Test
  void aFastEndlessLineIsDroppedAtTheLimitAndTheConnectionCut(Vertx vertx) throws Exception {
    ScriptedSseServer server = ScriptedSseServer.start(vertx,
      endlessLineAfter(event("1", "a"), 16 * 1024, 10),
      resumedWithHeartbeats(event("2", "b")));
    deploy(vertx, config(server.url(), dir, Config.INGEST_MAX_EVENT_BYTES, MAX_EVENT_BYTES,
      Config.STREAM_IDLE_TIMEOUT_SECONDS, 2));
    awaitRecords(file(), 2);

    assertThat(counter(vertx, "wikirecent_ingest_oversized_lines_dropped_total")).isEqualTo(1);
    assertThat(skipped(vertx, "oversized")).isEqualTo(1);
    assertThat(counter(vertx, "wikirecent_ingest_idle_cuts_total")).isEqualTo(1);
    assertThat(server.received()).hasSize(2);
    List<String> lines = logs.lines();
    int dropped = indexOf(lines, "Dropped a line longer than " + MAX_EVENT_BYTES);
    int cut = indexOf(lines, "no complete event or heartbeat for 2 s");
    assertThat(dropped).as("the line is reported when it passes the limit, not when it ends:\n%s", lines).isGreaterThanOrEqualTo(0);
    assertThat(cut).as("then the connection is cut:\n%s", lines).isGreaterThan(dropped);
    assertFileHolds(file(), List.of(data("a"), data("b")));
  }

  @Test
  void aLineThatTricklesInIsCutAfterTheIdleTimeoutAndTheStatusSaysWhy(Vertx vertx) throws Exception {
    ScriptedSseServer server = ScriptedSseServer.start(vertx,
      endlessLineAfter(event("1", "a"), 1, 100),
      endlessLineAfter("", 1, 100),
      resumedWithHeartbeats(event("2", "b")));
    deploy(vertx, config(server.url(), dir, Config.STREAM_IDLE_TIMEOUT_SECONDS, 4));
    JsonObject[] seen = new JsonObject[1];
    Wait.until("the status to say nothing complete is coming", PATIENCE, () -> {
      seen[0] = status(vertx);
      return seen[0].getString("detail").contains("no complete event");
    });
    assertThat(seen[0].getBoolean("live")).isFalse();
    awaitRecords(file(), 2);

    assertThat(server.received()).hasSize(3);
    assertThat(server.received().get(1).header("Last-Event-ID")).isEqualTo("1");
    assertThat(counter(vertx, "wikirecent_ingest_idle_cuts_total")).isEqualTo(2);
    assertThat(counter(vertx, "wikirecent_ingest_oversized_lines_dropped_total")).isZero();
    Wait.until("live again", PATIENCE, () -> status(vertx).getBoolean("live"));
    assertFileHolds(file(), List.of(data("a"), data("b")));
  }

  @Test
  void heartbeatsKeepAQuietConnection(Vertx vertx) throws Exception {
    ScriptedSseServer server = ScriptedSseServer.start(vertx, (v, req) -> {
      HttpServerResponse resp = req.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
      resp.write(":ok\n\n" + event("1", "a"));
      long heartbeat = v.setPeriodic(200, id -> resp.write(":\n"));
      resp.closeHandler(x -> v.cancelTimer(heartbeat));
    });
    // Heartbeats at a tenth of the idle timeout: a loaded machine's pause does not pass for silence.
    deploy(vertx, config(server.url(), dir, Config.STREAM_IDLE_TIMEOUT_SECONDS, 2));
    awaitRecords(file(), 1);
    Thread.sleep(6000); // quiet for three idle timeouts: the scenario, not a wait for a result
    assertThat(server.received()).hasSize(1);
    assertThat(counter(vertx, "wikirecent_ingest_idle_cuts_total")).isZero();
    Wait.until("live (a heartbeat within half the idle timeout)", PATIENCE, () -> status(vertx).getBoolean("live"));
  }

  private static int indexOf(List<String> lines, String part) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains(part)) {
        return i;
      }
    }
    return -1;
  }
}
