package wikirecent.ingest;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.config.Config;
import wikirecent.engine.Engine;
import wikirecent.records.RecordFormat;
import wikirecent.testsupport.Wait;

import java.io.ByteArrayOutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;

import static org.assertj.core.api.Assertions.assertThat;
import static wikirecent.ingest.IngestTesting.PATIENCE;
import static wikirecent.ingest.IngestTesting.VIEWS_SQL_REGEX;
import static wikirecent.ingest.IngestTesting.config;
import static wikirecent.ingest.IngestTesting.counter;
import static wikirecent.ingest.IngestTesting.deploy;

/**
 * The file cut in the middle of a record while ingest runs: the next append starts on a record boundary, so
 * the damaged record stays one record of its own that readers skip and count, and everything after is intact.
 */
@ExtendWith(VertxExtension.class)
class IngestShrinkIT {

  private static final int EVENTS = 200;

  @TempDir
  Path dir;

  private Path file() {
    return dir.resolve(Config.FILE_NAME);
  }

  private static String data(int n) {
    return "{\"meta\":{\"id\":\"m" + n + "\",\"domain\":\"en.wikipedia.org\"},\"user\":\"user" + (n % 7) + "\"}";
  }

  private static byte[] record(int n) {
    return RecordFormat.record(Integer.toString(n), data(n));
  }

  private static String events(int from, int to) {
    StringBuilder sb = new StringBuilder();
    for (int n = from; n <= to; n++) {
      sb.append("event: message\nid: ").append(n).append("\ndata: ").append(data(n)).append("\n\n");
    }
    return sb.toString();
  }

  private static Engine readAll(Engine engine) throws Exception {
    while (true) {
      Engine.Step step = engine.step(false);
      if (step.bytesConsumed() == 0 && !step.more() && step.reset() == null) {
        return engine;
      }
    }
  }

  @Test
  void aCutInTheMiddleOfARecordStaysOneDamagedRecordAndNothingAfterItIsLost(Vertx vertx) throws Exception {
    AtomicBoolean sendMore = new AtomicBoolean();
    ScriptedSseServer server = ScriptedSseServer.start(vertx, (v, req) -> {
      HttpServerResponse resp = req.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
      resp.write(":ok\n\n" + events(1, EVENTS / 2));
      long timer = v.setPeriodic(20, id -> {
        if (sendMore.compareAndSet(true, false)) {
          resp.write(events(EVENTS / 2 + 1, EVENTS));
        } else {
          resp.write(":\n"); // a heartbeat while the test works on the file
        }
      });
      resp.closeHandler(x -> v.cancelTimer(timer));
    });
    deploy(vertx, config(server.url(), dir));
    Wait.until("the first half written", PATIENCE, () -> counter(vertx, "wikirecent_ingest_events_written_total") == EVENTS / 2);

    Engine live = readAll(new Engine(file(), null, 1 << 20, System::currentTimeMillis));
    assertThat(live.state().total()).isEqualTo(EVENTS / 2);

    // Cut the last record in the middle of its data line, as a careless `truncate -s` would.
    ByteArrayOutputStream intact = new ByteArrayOutputStream();
    for (int n = 1; n < EVENTS / 2; n++) {
      intact.writeBytes(record(n));
    }
    byte[] last = record(EVENTS / 2);
    int dataStart = new String(last, StandardCharsets.UTF_8).indexOf("data: ");
    byte[] damaged = Arrays.copyOf(last, dataStart + 6 + 20);
    try (FileChannel ch = FileChannel.open(file(), StandardOpenOption.WRITE)) {
      ch.truncate(intact.size() + damaged.length);
    }
    sendMore.set(true);
    Wait.until("the second half written", PATIENCE, () -> counter(vertx, "wikirecent_ingest_events_written_total") == EVENTS);

    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    expected.writeBytes(intact.toByteArray());
    expected.writeBytes(damaged);
    expected.writeBytes("\n\n".getBytes(StandardCharsets.US_ASCII));
    for (int n = EVENTS / 2 + 1; n <= EVENTS; n++) {
      expected.writeBytes(record(n));
    }
    assertThat(new String(Files.readAllBytes(file()), StandardCharsets.UTF_8))
      .isEqualTo(expected.toString(StandardCharsets.UTF_8));
    assertThat(counter(vertx, "wikirecent_ingest_records_repaired_total")).isEqualTo(1);

    // The engine: every intact event, and the damaged one skipped and counted; the one that followed the
    // file live started over when it saw other bytes, and agrees.
    Engine fresh = readAll(new Engine(file(), null, 1 << 20, System::currentTimeMillis));
    assertThat(fresh.state().total()).isEqualTo(EVENTS - 1);
    assertThat(fresh.state().skipped()).isEqualTo(1);
    readAll(live);
    assertThat(live.resets()).isGreaterThanOrEqualTo(1);
    assertThat(live.state().total()).isEqualTo(EVENTS - 1);
    assertThat(live.state().skipped()).isEqualTo(1);
    live.close();
    fresh.close();

    // Materialize's regex sees the damaged data line as a line of its own, never glued to the next record.
    List<String> picked = new ArrayList<>();
    for (String line : Files.readString(file()).split("\n", -1)) {
      Matcher m = VIEWS_SQL_REGEX.matcher(line);
      if (m.find()) {
        picked.add(m.group("data"));
      }
    }
    List<String> want = new ArrayList<>();
    for (int n = 1; n <= EVENTS; n++) {
      want.add(n == EVENTS / 2 ? data(n).substring(0, 20) : data(n));
    }
    assertThat(picked).containsExactlyElementsOf(want);
  }
}
