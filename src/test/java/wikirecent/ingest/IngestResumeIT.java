package wikirecent.ingest;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import wikirecent.config.Config;
import wikirecent.records.RecordFormat;
import wikirecent.testsupport.LogCapture;
import wikirecent.testsupport.Wait;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static wikirecent.ingest.IngestTesting.PATIENCE;
import static wikirecent.ingest.IngestTesting.assertFileHolds;
import static wikirecent.ingest.IngestTesting.awaitRecords;
import static wikirecent.ingest.IngestTesting.config;
import static wikirecent.ingest.IngestTesting.counter;
import static wikirecent.ingest.IngestTesting.skipped;
import static wikirecent.ingest.IngestTesting.deploy;
import static wikirecent.ingest.ScriptedSseServer.After.END;
import static wikirecent.ingest.ScriptedSseServer.After.HOLD;
import static wikirecent.ingest.ScriptedSseServer.pieces;
import static wikirecent.ingest.ScriptedSseServer.status;
import static wikirecent.ingest.ScriptedSseServer.stream;

/**
 * Where ingest resumes: by id (Last-Event-ID) when the id can go back to the server byte for byte, else by the
 * time of the last event written ({@code ?since=}); and a fresh file starts {@code stream.backfillMinutes} back.
 */
@ExtendWith(VertxExtension.class)
class IngestResumeIT {

  private static final String DT_A = "2018-03-07T16:16:17+00:00";
  private static final String DT_A2 = "2018-03-07T16:16:18+00:00";
  private static final String DT_B = "2018-03-07T16:16:19+00:00";
  private static final String DT_C = "2018-03-07T16:16:21+00:00";
  /** A proxy's header limit (nginx, Envoy and Varnish are at 8 to 64 KB). */
  private static final int PROXY_LIMIT = 16 * 1024;

  @TempDir
  Path dir;

  @RegisterExtension
  final LogCapture logs = new LogCapture("wikirecent.ingest");

  private Path file() {
    return dir.resolve(Config.FILE_NAME);
  }

  private static String data(String metaId, String dt) {
    return "{\"meta\":{\"id\":\"" + metaId + "\",\"dt\":\"" + dt + "\",\"domain\":\"en.wikipedia.org\"},\"user\":\"U" + metaId + "\"}";
  }

  private static String event(String id, String metaId, String dt) {
    return "event: message\nid: " + id + "\ndata: " + data(metaId, dt) + "\n\n";
  }

  /** What a proxy in front of the feed does with a Last-Event-ID longer than its limit. */
  private static ScriptedSseServer.Reply refusingLongIds(int status, int limit, ScriptedSseServer.Reply inner) {
    return (vertx, req) -> {
      String id = req.getHeader("Last-Event-ID");
      if (id != null && id.length() > limit) {
        req.response().setStatusCode(status).end("Request Header Fields Too Large");
      } else {
        inner.serve(vertx, req);
      }
    };
  }

  /** The server itself takes any header size: the limit is the scripted proxy's. */
  private ScriptedSseServer server(Vertx vertx, ScriptedSseServer.Reply... replies) {
    return ScriptedSseServer.start(vertx, new HttpServerOptions().setMaxHeaderSize(8 << 20), replies);
  }

  private static Instant instant(String isoDt) {
    return OffsetDateTime.parse(isoDt).toInstant();
  }

  private long resumeLogLines() {
    return logs.lines().stream().filter(l -> l.contains("Not resuming by id")).count();
  }

  @Test
  void anIdLongerThanTheBoundIsNeitherSentBackNorCopiedIngestResumesByTheTimeOfTheLastEvent(Vertx vertx) throws Exception {
    String bigId = "[{\"topic\":\"eqiad.mediawiki.recentchange\",\"pad\":\"" + "p".repeat(40 * 1024) + "\"}]";
    // An SSE id lasts until the next id: line, so the second event carries the big id too.
    String second = "event: message\ndata: " + data("a2", DT_A2) + "\n\n";
    ScriptedSseServer server = server(vertx,
      stream(pieces(":ok\n\n" + event(bigId, "a", DT_A) + second, 4096), END),
      // resumed by time: the last event comes again (dropped by meta.id), then one with a usual id
      refusingLongIds(431, PROXY_LIMIT, stream(pieces(event(bigId, "a2", DT_A2) + event("b2", "b", DT_B), 4096), END)),
      refusingLongIds(431, PROXY_LIMIT, stream(pieces(event("c3", "c", DT_C), 4096), HOLD)));
    deploy(vertx, config(server.url(), dir));
    awaitRecords(file(), 4);
    Wait.until("all four written", PATIENCE, () -> counter(vertx, "wikirecent_ingest_events_written_total") == 4);

    List<ScriptedSseServer.Received> got = server.received();
    assertThat(got).hasSize(3);
    assertThat(got.get(1).header("Last-Event-ID")).isNull();
    assertThat(Instant.parse(got.get(1).param("since"))).isEqualTo(instant(DT_A2));
    assertThat(got.get(2).header("Last-Event-ID")).isEqualTo("b2"); // a usual id again: resumed by id
    assertThat(got.get(2).param("since")).isNull();
    assertThat(counter(vertx, "wikirecent_ingest_resume_id_fallbacks_total")).isEqualTo(1);
    assertThat(skipped(vertx, "duplicate")).isEqualTo(1);
    assertThat(counter(vertx, "wikirecent_ingest_http_refusals_total")).isZero();
    assertThat(resumeLogLines()).isEqualTo(1);
    assertThat(logs.lines()).filteredOn(l -> l.contains("The feed sent an id of")).hasSize(1);
    // the records hold an empty id where the feed's was too long: not 40 KB copied into each
    assertThat(FileRecords.read(file())).extracting(FileRecords.Rec::id).containsExactly("", "", "b2", "c3");
    assertThat(Files.size(file())).isLessThan(2000);
    assertFileHolds(file(), List.of(data("a", DT_A), data("a2", DT_A2), data("b", DT_B), data("c", DT_C)));
  }

  @ParameterizedTest
  @ValueSource(ints = {400, 413, 414, 431})
  void aResumeRefusedBecauseOfItsIdIsFollowedByOneResumeWithoutIt(int refusal, Vertx vertx) throws Exception {
    String id = "[{\"topic\":\"x\",\"pad\":\"" + "q".repeat(3000) + "\"}]"; // under stream.maxResumeIdBytes, over this proxy's limit
    ScriptedSseServer server = server(vertx,
      stream(pieces(event(id, "a", DT_A), 4096), END),
      refusingLongIds(refusal, 1024, stream(pieces(event(id, "a", DT_A) + event("b2", "b", DT_B), 4096), HOLD)));
    deploy(vertx, config(server.url(), dir));
    awaitRecords(file(), 2);
    Wait.until("both written", PATIENCE, () -> counter(vertx, "wikirecent_ingest_events_written_total") == 2);

    List<ScriptedSseServer.Received> got = server.received();
    assertThat(got).hasSize(3);
    assertThat(got.get(1).header("Last-Event-ID")).isEqualTo(id); // refused with the status under test
    assertThat(got.get(2).header("Last-Event-ID")).isNull();
    assertThat(Instant.parse(got.get(2).param("since"))).isEqualTo(instant(DT_A));
    assertThat(counter(vertx, "wikirecent_ingest_http_refusals_total")).isEqualTo(1);
    assertThat(counter(vertx, "wikirecent_ingest_resume_id_fallbacks_total")).isEqualTo(1);
    assertThat(resumeLogLines()).isEqualTo(1);
    assertThat(logs.lines()).anyMatch(l -> l.contains("Not resuming by id") && l.contains("HTTP " + refusal));
    assertFileHolds(file(), List.of(data("a", DT_A), data("b", DT_B)));
  }

  @Test
  void aFileEndingWithAHugeIdResumesByTimeAfterARestart(Vertx vertx) throws Exception {
    String hugeId = "[" + "9".repeat(3 << 20) + "]";
    Files.write(file(), RecordFormat.record(hugeId, data("a", DT_A)));
    ScriptedSseServer server = server(vertx,
      refusingLongIds(431, PROXY_LIMIT, stream(pieces(event(hugeId, "a", DT_A) + event("b2", "b", DT_B), 4096), HOLD)));
    deploy(vertx, config(server.url(), dir));
    awaitRecords(file(), 2);

    ScriptedSseServer.Received first = server.received().get(0);
    assertThat(first.header("Last-Event-ID")).isNull();
    assertThat(Instant.parse(first.param("since"))).isEqualTo(instant(DT_A));
    assertThat(server.received()).hasSize(1);
    assertThat(counter(vertx, "wikirecent_ingest_resume_id_fallbacks_total")).isEqualTo(1);
    assertThat(logs.lines()).noneMatch(l -> l.length() > 10_000); // the id is not logged in full
    assertFileHolds(file(), List.of(data("a", DT_A), data("b", DT_B)));
  }

  @Test
  void aNonAsciiIdGoesBackByteForByte(Vertx vertx) throws Exception {
    String id = "[{\"topic\":\"\u2603\",\"offset\":\"\u00fc-\uD834\uDD1E\"}]"; // snowman, u-umlaut, a G clef (4 bytes)
    RawHttpServer server = RawHttpServer.start(vertx,
      RawHttpServer.eventStream(":ok\n\n" + event(id, "a", DT_A), true),
      RawHttpServer.eventStream(":ok\n\n", false));
    deploy(vertx, config(server.url(), dir));
    Wait.until("a resume", PATIENCE, () -> server.heads().size() >= 2);

    byte[] expected = ("\r\nLast-Event-ID: " + id + "\r\n").getBytes(StandardCharsets.UTF_8);
    assertThat(RawHttpServer.indexOf(server.heads().get(1), expected))
      .as("the UTF-8 bytes of the id in:\n%s", new String(server.heads().get(1), StandardCharsets.UTF_8)).isGreaterThan(0);
    assertThat(FileRecords.read(file())).extracting(FileRecords.Rec::id).containsExactly(id);
  }

  @Test
  void anIdThatCannotGoInAHeaderResumesByTime(Vertx vertx) throws Exception {
    String id = "a\u000Bb"; // a vertical tab: no HTTP header may hold it
    ScriptedSseServer server = server(vertx,
      stream(pieces(event(id, "a", DT_A), 4096), END),
      stream(pieces(event("b2", "b", DT_B), 4096), HOLD));
    deploy(vertx, config(server.url(), dir));
    awaitRecords(file(), 2);
    assertThat(server.received().get(1).header("Last-Event-ID")).isNull();
    assertThat(Instant.parse(server.received().get(1).param("since"))).isEqualTo(instant(DT_A));
    assertThat(counter(vertx, "wikirecent_ingest_resume_id_fallbacks_total")).isEqualTo(1);
  }

  @Test
  void aFreshFileStartsTheBackfillBackUntilTheFirstEventIsWritten(Vertx vertx) throws Exception {
    ScriptedSseServer server = server(vertx,
      status(503, "Service Unavailable"),
      stream(pieces(event("1", "a", DT_A), 4096), END),
      stream(pieces(event("2", "b", DT_B), 4096), HOLD));
    Instant before = Instant.now();
    deploy(vertx, config(server.url(), dir, Config.STREAM_BACKFILL_MINUTES, 60));
    awaitRecords(file(), 2);
    Instant after = Instant.now();

    List<ScriptedSseServer.Received> got = server.received();
    assertThat(got).hasSize(3);
    String since = got.get(0).param("since");
    assertThat(since).isNotNull();
    assertThat(Instant.parse(since)).isBetween(before.minus(Duration.ofMinutes(60)).minusSeconds(1), after.minus(Duration.ofMinutes(60)));
    assertThat(got.get(0).header("Last-Event-ID")).isNull();
    assertThat(got.get(1).param("since")).as("still a fresh file after the 503").isEqualTo(since);
    assertThat(got.get(2).param("since")).as("the file has an id now").isNull();
    assertThat(got.get(2).header("Last-Event-ID")).isEqualTo("1");
    assertThat(counter(vertx, "wikirecent_ingest_resume_id_fallbacks_total")).isZero();
  }

  @Test
  void aBackfillOfZeroStartsAtTheLiveEdge(Vertx vertx) throws Exception {
    ScriptedSseServer server = server(vertx, stream(pieces(event("1", "a", DT_A), 4096), HOLD));
    deploy(vertx, config(server.url(), dir, Config.STREAM_BACKFILL_MINUTES, 0));
    awaitRecords(file(), 1);
    assertThat(server.received().get(0).param("since")).isNull();
    assertThat(server.received().get(0).header("Last-Event-ID")).isNull();
  }

  @Test
  void aFileWithRecordsResumesByIdNotByTime(Vertx vertx) throws Exception {
    Files.write(file(), RecordFormat.record("7", data("a", DT_A)));
    ScriptedSseServer server = server(vertx, stream(pieces(event("8", "b", DT_B), 4096), HOLD));
    deploy(vertx, config(server.url(), dir, Config.STREAM_BACKFILL_MINUTES, 60));
    awaitRecords(file(), 2);
    assertThat(server.received().get(0).header("Last-Event-ID")).isEqualTo("7");
    assertThat(server.received().get(0).param("since")).isNull();
  }

  @Test
  void aRefusedSinceIsDroppedForTheLiveEdgeOnce(Vertx vertx) throws Exception {
    ScriptedSseServer.Reply refusingSince = (v, req) -> {
      if (req.getParam("since") != null) {
        req.response().setStatusCode(400).end("since is not supported here");
      } else {
        stream(pieces(event("1", "a", DT_A), 4096), HOLD).serve(v, req);
      }
    };
    ScriptedSseServer server = server(vertx, refusingSince);
    deploy(vertx, config(server.url(), dir, Config.STREAM_BACKFILL_MINUTES, 60));
    awaitRecords(file(), 1);
    List<ScriptedSseServer.Received> got = server.received();
    assertThat(got).hasSize(2);
    assertThat(got.get(0).param("since")).isNotNull();
    assertThat(got.get(1).param("since")).isNull();
    assertThat(counter(vertx, "wikirecent_ingest_resume_id_fallbacks_total")).isEqualTo(1);
    assertThat(logs.lines()).filteredOn(l -> l.contains("HTTP 400")).hasSize(1);
  }
}
