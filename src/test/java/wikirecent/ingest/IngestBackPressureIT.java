package wikirecent.ingest;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.config.Config;
import wikirecent.records.AppendFile;
import wikirecent.records.ChannelAppendFile;
import wikirecent.records.ForwardingAppendFile;
import wikirecent.testsupport.Wait;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static wikirecent.ingest.IngestTesting.assertFileHolds;
import static wikirecent.ingest.IngestTesting.awaitRecords;
import static wikirecent.ingest.IngestTesting.config;
import static wikirecent.ingest.IngestTesting.deploy;
import static wikirecent.ingest.IngestTesting.counter;

/** Ingest pausing the stream while the disk is slow: a long pause is not a silent connection. */
@ExtendWith(VertxExtension.class)
class IngestBackPressureIT {

  private static final int IDLE_TIMEOUT_SECONDS = 1;
  private static final int MAX_QUEUED_BYTES = 2000;
  private static final int EVENTS = 100;

  @TempDir
  Path dir;

  /** The real file, whose appends wait while the test holds the gate: a disk that stalls. */
  private static final class StallingFile extends ForwardingAppendFile {
    private final CountDownLatch gate;

    StallingFile(AppendFile real, CountDownLatch gate) {
      super(real);
      this.gate = gate;
    }

    @Override
    public void append(ByteBuffer record) throws IOException {
      try {
        if (!gate.await(120, TimeUnit.SECONDS)) {
          throw new IOException("the test never opened the gate");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
      real.append(record);
    }
  }

  private static String data(int n) {
    return "{\"meta\":{\"id\":\"m" + n + "\",\"domain\":\"en.wikipedia.org\"},\"user\":\"user" + n + "\"}";
  }

  @Test
  void aPauseLongerThanTheIdleTimeoutDoesNotDropTheConnection(Vertx vertx) throws Exception {
    // All events at once, then a comment every 100 ms as long as the connection lives: the server is never silent.
    StringBuilder sse = new StringBuilder();
    List<String> expected = new ArrayList<>();
    for (int i = 1; i <= EVENTS; i++) {
      sse.append("event: message\nid: ").append(i).append("\ndata: ").append(data(i)).append("\n\n");
      expected.add(data(i));
    }
    ScriptedSseServer server = ScriptedSseServer.start(vertx, (v, req) -> {
      HttpServerResponse resp = req.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
      resp.write(Buffer.buffer(sse.toString()));
      long heartbeat = v.setPeriodic(100, id -> resp.write(":\n\n"));
      resp.closeHandler(x -> v.cancelTimer(heartbeat));
    });
    CountDownLatch gate = new CountDownLatch(1);
    JsonObject conf = config(server.url(), dir, Config.STREAM_IDLE_TIMEOUT_SECONDS, IDLE_TIMEOUT_SECONDS,
      Config.INGEST_MAX_QUEUED_BYTES, MAX_QUEUED_BYTES);
    try {
      deploy(vertx, conf, path -> new StallingFile(ChannelAppendFile.open(path), gate), new HttpClientOptions());

      // The first append hangs, the queue fills past its limit: ingest has paused the response.
      Wait.until("the write queue past its limit", IngestTesting.PATIENCE, () -> counter(vertx, "wikirecent_ingest_queued_bytes") > MAX_QUEUED_BYTES);
      // Stay paused for well over the idle timeout. (A pause is the scenario here, not a wait for a result.)
      Thread.sleep(3000L * IDLE_TIMEOUT_SECONDS);
      assertThat(counter(vertx, "wikirecent_ingest_connections_total")).as("still the first connection").isEqualTo(1);
      // Paused because the disk has stopped: not live, and the status says why.
      JsonObject stuck = IngestTesting.status(vertx);
      assertThat(stuck.getBoolean("live")).isFalse();
      assertThat(stuck.getString("detail")).contains("has not returned for");
      assertThat(counter(vertx, "wikirecent_ingest_up")).isZero();
    } finally {
      gate.countDown();
    }

    awaitRecords(dir.resolve(Config.FILE_NAME), EVENTS);
    assertThat(counter(vertx, "wikirecent_ingest_connections_total")).isEqualTo(1);
    assertThat(counter(vertx, "wikirecent_ingest_reconnects_total")).isZero();
    assertThat(server.received()).hasSize(1);
    assertFileHolds(dir.resolve(Config.FILE_NAME), expected);
    // The bytes reach the file on the writer's thread before the loop hears the write ended and counts them out.
    Wait.until("the queue empty", IngestTesting.PATIENCE, () -> counter(vertx, "wikirecent_ingest_queued_bytes") == 0);
    Wait.until("live again", IngestTesting.PATIENCE, () -> IngestTesting.status(vertx).getBoolean("live"));
  }
}
