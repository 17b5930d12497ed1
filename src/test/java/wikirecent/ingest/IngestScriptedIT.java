package wikirecent.ingest;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.config.Config;
import wikirecent.records.ChannelAppendFile;
import wikirecent.testsupport.LogCapture;
import wikirecent.testsupport.Wait;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static wikirecent.ingest.IngestTesting.PATIENCE;
import static wikirecent.ingest.IngestTesting.assertFileHolds;
import static wikirecent.ingest.IngestTesting.awaitRecords;
import static wikirecent.ingest.IngestTesting.config;
import static wikirecent.ingest.IngestTesting.counter;
import static wikirecent.ingest.IngestTesting.skipped;
import static wikirecent.ingest.IngestTesting.deploy;
import static wikirecent.ingest.ScriptedSseServer.After.DROP;
import static wikirecent.ingest.ScriptedSseServer.After.END;
import static wikirecent.ingest.ScriptedSseServer.After.HOLD;
import static wikirecent.ingest.ScriptedSseServer.pieces;
import static wikirecent.ingest.ScriptedSseServer.status;
import static wikirecent.ingest.ScriptedSseServer.stream;

/** Ingest against a scripted SSE server on loopback: refusals, odd framing, the real raw capture. */
@ExtendWith(VertxExtension.class)
class IngestScriptedIT {

  @TempDir
  Path dir;

  @RegisterExtension
  final LogCapture logs = new LogCapture("wikirecent.ingest");

  private Path file() {
    return dir.resolve(Config.FILE_NAME);
  }

  private static String event(String id, String metaId, String user) {
    return "event: message\nid: " + id + "\ndata: " + data(metaId, user) + "\n\n";
  }

  private static String data(String metaId, String user) {
    return "{\"meta\":{\"id\":\"" + metaId + "\",\"domain\":\"en.wikipedia.org\"},\"user\":\"" + user + "\"}";
  }

  @Test
  void backsOffOn429And503AndHonoursRetryAfter(Vertx vertx) throws Exception {
    ScriptedSseServer server = ScriptedSseServer.start(vertx,
      status(429, "Too Many Requests: at most 2 connections per client IP", "Retry-After", "1"),
      status(503, "Service Unavailable: upstream is restarting"),
      stream(pieces(":ok\n\n" + event("1", "a", "A") + event("2", "b", "B") + event("3", "c", "C"), 40), HOLD));
    deploy(vertx, config(server.url(), dir));
    awaitRecords(file(), 3);

    List<ScriptedSseServer.Received> got = server.received();
    assertThat(got).hasSize(3);
    long afterTooMany = (got.get(1).atNanos() - got.get(0).atNanos()) / 1_000_000;
    long afterUnavailable = (got.get(2).atNanos() - got.get(1).atNanos()) / 1_000_000;
    assertThat(afterTooMany).as("waited for Retry-After: 1").isGreaterThanOrEqualTo(1000);
    // second throttle: step = 100 ms * 2, at least half of it
    assertThat(afterUnavailable).as("backed off harder after a 5xx").isGreaterThanOrEqualTo(100);
    assertThat(counter(vertx, "wikirecent_ingest_http_refusals_total")).isEqualTo(2);
    assertThat(logs.lines()).anyMatch(l -> l.startsWith("WARN Refused by") && l.contains("HTTP 429")
      && l.contains("at most 2 connections per client IP") && l.contains("backing off"));
    assertThat(logs.lines()).anyMatch(l -> l.contains("HTTP 503") && l.contains("upstream is restarting"));
    assertFileHolds(file(), List.of(data("a", "A"), data("b", "B"), data("c", "C")));
  }

  @Test
  void aRefusalOtherThan429IsLoggedWithTheServersReasonAndSaysNotLive(Vertx vertx) throws Exception {
    String body = "<html><body><p>Please set a user-agent and respect our robot policy https://w.wiki/4wJS.</p>"
      + "x".repeat(2000) + "</body></html>";
    ScriptedSseServer server = ScriptedSseServer.start(vertx, status(403, body, "Content-Type", "text/html"));
    deploy(vertx, config(server.url(), dir, Config.INGEST_BACKOFF_MILLIS, 200));
    Wait.until("two refused attempts", PATIENCE, () -> server.received().size() >= 2);
    JsonObject[] refused = new JsonObject[1];
    Wait.until("status says refused", PATIENCE, () -> {
      JsonObject s = IngestTesting.status(vertx);
      refused[0] = s;
      return s.getString("detail").contains("refused with HTTP 403");
    });

    JsonObject status = refused[0];
    assertThat(status.getBoolean("live")).isFalse();
    assertThat(status.getString("detail")).contains("Please set a user-agent");
    String logged = logs.lines().stream().filter(l -> l.contains("HTTP 403")).findFirst().orElseThrow();
    assertThat(logged).startsWith("ERROR").contains("Please set a user-agent").contains("...");
    assertThat(logged.length()).isLessThan(1000); // the body is cut short
  }

  @Test
  void aResponseThatIsNotAnEventStreamIsRefusedAndRetried(Vertx vertx) throws Exception {
    ScriptedSseServer server = ScriptedSseServer.start(vertx,
      status(200, "<html>Sign in to the hotel wifi</html>", "Content-Type", "text/html"),
      stream(pieces(event("1", "a", "A"), 1000), HOLD));
    deploy(vertx, config(server.url(), dir));
    awaitRecords(file(), 1);
    assertThat(logs.lines()).anyMatch(l -> l.contains("not text/event-stream") && l.contains("hotel wifi"));
    assertFileHolds(file(), List.of(data("a", "A")));
  }

  private static RawHttpServer.Answer endlessPage(String statusLine, String start) {
    String text = statusLine + "\r\nTransfer-Encoding: chunked\r\nContent-Type: text/html\r\n\r\n"
      + Integer.toHexString(start.length()) + "\r\n" + start + "\r\n"; // and no last chunk: the body never ends
    return new RawHttpServer.Answer(text.getBytes(StandardCharsets.UTF_8), false);
  }

  @Test
  void aRefusalWhoseBodyNeverEndsIsCutAfterTheSilenceTimeout(Vertx vertx) throws Exception {
    RawHttpServer server = RawHttpServer.start(vertx,
      endlessPage("HTTP/1.1 503 Service Unavailable", "<p>upstream is restarting</p>"),
      RawHttpServer.eventStream(":ok\n\n" + event("1", "a", "A"), false));
    deploy(vertx, config(server.url(), dir, Config.STREAM_IDLE_TIMEOUT_SECONDS, 1));
    awaitRecords(file(), 1);
    // Cut by the silence (1 s), not at once: the next request came no sooner (a lower bound only).
    assertThat(server.headNanos().get(1) - server.headNanos().get(0)).isGreaterThanOrEqualTo(1_000_000_000L);
    assertThat(logs.lines()).anyMatch(l -> l.contains("HTTP 503") && l.contains("upstream is restarting"));
    assertFileHolds(file(), List.of(data("a", "A")));
  }

  @Test
  void aRefusalWhoseBodyNeverEndsIsCutOnceItsStartIsRead(Vertx vertx) throws Exception {
    RawHttpServer server = RawHttpServer.start(vertx,
      endlessPage("HTTP/1.1 200 OK", "<p>sign in to the hotel wifi</p>" + "x".repeat(3000)),
      RawHttpServer.eventStream(":ok\n\n" + event("1", "a", "A"), false));
    // The silence timeout is far off: only reading the page's start can end that refusal soon.
    deploy(vertx, config(server.url(), dir, Config.STREAM_IDLE_TIMEOUT_SECONDS, 600));
    Wait.until("a second connection", java.time.Duration.ofSeconds(20), () -> server.heads().size() >= 2);
    awaitRecords(file(), 1);
    assertThat(logs.lines()).anyMatch(l -> l.contains("not text/event-stream") && l.contains("hotel wifi"));
    assertFileHolds(file(), List.of(data("a", "A")));
  }

  /** The capture's events, read with plain string handling: every "id: " and "data: " line, in order. */
  private static List<FileRecords.Rec> captureEvents(String capture) {
    List<FileRecords.Rec> events = new ArrayList<>();
    String id = null;
    for (String line : capture.split("\n")) {
      if (line.startsWith("id: ")) {
        id = line.substring(4);
      } else if (line.startsWith("data: ")) {
        events.add(new FileRecords.Rec(id, line.substring(6)));
      }
    }
    return events;
  }

  private static String capture() throws Exception {
    try (InputStream in = IngestScriptedIT.class.getResourceAsStream("/sse/recentchange-sample.sse")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void theRealRawCaptureIsParsedAsTheServerMeantIt(Vertx vertx) throws Exception {
    String capture = capture();
    List<FileRecords.Rec> expected = captureEvents(capture);
    assertThat(expected).hasSize(3);
    // The capture stops after its last data line; the server went on with the line end and blank line.
    ScriptedSseServer server = ScriptedSseServer.start(vertx, stream(pieces(":ok\n\n" + capture + "\n\n", 97), HOLD));
    deploy(vertx, config(server.url(), dir));
    awaitRecords(file(), 3);
    Wait.until("all written", PATIENCE, () -> counter(vertx, "wikirecent_ingest_events_written_total") == 3);
    assertThat(FileRecords.read(file())).containsExactlyElementsOf(expected);
    assertFileHolds(file(), expected.stream().map(FileRecords.Rec::data).toList());
  }

  @Test
  void aCaptureCutWhereTheRecordingStopsLosesNothingAndDuplicatesNothing(Vertx vertx) throws Exception {
    // The connection ends where the recording does: the third event is incomplete and must not be written.
    // Wikimedia's ids here are timestamps shared by all three, so the resumed stream repeats the first two:
    // their meta.ids are in the file already.
    String capture = capture();
    List<FileRecords.Rec> expected = captureEvents(capture);
    ScriptedSseServer server = ScriptedSseServer.start(vertx,
      stream(pieces(":ok\n\n" + capture, 200), END),
      stream(pieces(":ok\n\n" + capture + "\n\n", 200), HOLD));
    deploy(vertx, config(server.url(), dir));
    Wait.until("the third event", PATIENCE, () -> counter(vertx, "wikirecent_ingest_events_written_total") == 3);
    assertThat(skipped(vertx, "duplicate")).isEqualTo(2);
    assertThat(server.received()).hasSize(2);
    assertThat(server.received().get(1).header("Last-Event-ID")).isEqualTo(expected.get(1).id());
    assertThat(FileRecords.read(file())).containsExactlyElementsOf(expected);
  }

  @Test
  void bomCommentsRetryErrorFramesMultiLineDataAndOtherEventTypes(Vertx vertx) throws Exception {
    String body = "\uFEFF:ok\n\nretry: 5\n\n"
      + "event: error\ndata: {\"message\":\"could not seek to the requested offset\"}\n\n"
      + "id: a1\ndata: " + data("x1", "A") + "\n\n"
      + ": a comment\ndata: {\ndata:   \"meta\": {\"id\": \"x2\"},\ndata:   \"user\": \"B  C\"\ndata: }\n\n"
      + "event: other\ndata: " + data("x3", "D") + "\n\n"
      + "id: a2\r\ndata: " + data("x4", "E") + "\r\n\r\n";
    ScriptedSseServer server = ScriptedSseServer.start(vertx, stream(pieces(body, 13), END), stream(List.of(), HOLD));
    deploy(vertx, config(server.url(), dir));
    Wait.until("resumed", PATIENCE, () -> server.received().size() == 2);
    assertThat(server.received().get(1).header("Last-Event-ID")).isEqualTo("a2");
    assertThat(skipped(vertx, "error_event")).isEqualTo(1);
    assertThat(skipped(vertx, "other_event")).isEqualTo(1);
    assertThat(FileRecords.read(file())).containsExactly(
      new FileRecords.Rec("a1", data("x1", "A")),
      new FileRecords.Rec("a1", "{\"meta\":{\"id\":\"x2\"},\"user\":\"B  C\"}"),
      new FileRecords.Rec("a2", data("x4", "E")));
  }

  @Test
  void aConnectionThatGoesSilentIsDroppedAndResumed(Vertx vertx) throws Exception {
    ScriptedSseServer server = ScriptedSseServer.start(vertx,
      stream(pieces(event("1", "a", "A") + event("2", "b", "B"), 1000), HOLD),
      stream(req -> pieces(req.getHeader("Last-Event-ID").equals("2") ? event("3", "c", "C") : "", 1000), HOLD));
    deploy(vertx, config(server.url(), dir, Config.STREAM_IDLE_TIMEOUT_SECONDS, 1));
    awaitRecords(file(), 3);
    assertThat(server.received().get(1).header("Last-Event-ID")).isEqualTo("2");
    assertThat(logs.lines()).anyMatch(l -> l.startsWith("WARN Connection lost after 2 events") && l.contains("no complete event or heartbeat for 1 s"));
    assertFileHolds(file(), List.of(data("a", "A"), data("b", "B"), data("c", "C")));
  }

  @Test
  void aRedirectedStreamThatGoesSilentIsClosedNotLeftOpen(Vertx vertx) throws Exception {
    // The feed moved: each connection is redirected, and the stream it lands on goes silent after two events.
    List<Boolean> closed = new java.util.concurrent.CopyOnWriteArrayList<>();
    ScriptedSseServer.Reply silent = (v, req) -> {
      int i = closed.size();
      closed.add(false);
      req.connection().closeHandler(x -> closed.set(i, true));
      String events = req.getHeader("Last-Event-ID") == null ? event("1", "a", "A") + event("2", "b", "B") : event("3", "c", "C");
      stream(pieces(events, 1000), HOLD).serve(v, req);
    };
    ScriptedSseServer.Reply moved = status(302, "", "Location", "/v2/stream/moved");
    ScriptedSseServer server = ScriptedSseServer.start(vertx, moved, silent, moved, silent);
    deploy(vertx, config(server.url(), dir, Config.STREAM_IDLE_TIMEOUT_SECONDS, 1));
    awaitRecords(file(), 3);
    assertThat(server.received().get(3).header("Last-Event-ID")).isEqualTo("2");
    // The cut closes the stream's own connection, the redirect's target, not only the first request's.
    Wait.until("the silent stream's connection closed", java.time.Duration.ofSeconds(30), () -> closed.get(0));
    assertFileHolds(file(), List.of(data("a", "A"), data("b", "B"), data("c", "C")));
  }

  @Test
  void aDroppedConnectionIsResumedFromTheLastIdWritten(Vertx vertx) throws Exception {
    ScriptedSseServer server = ScriptedSseServer.start(vertx,
      stream(pieces(event("1", "a", "A") + event("2", "b", "B") + "event: message\nid: 3\ndata: {\"meta\":", 1000), DROP),
      stream(req -> pieces("2".equals(req.getHeader("Last-Event-ID")) ? event("3", "c", "C") : "", 1000), HOLD));
    deploy(vertx, config(server.url(), dir));
    awaitRecords(file(), 3);
    assertThat(skipped(vertx, "invalid")).isZero();
    assertFileHolds(file(), List.of(data("a", "A"), data("b", "B"), data("c", "C")));
  }

  @Test
  void streamsOverHttps(Vertx vertx) throws Exception {
    SelfSignedCertificate cert = SelfSignedCertificate.create("localhost");
    ScriptedSseServer server = ScriptedSseServer.start(vertx,
      new HttpServerOptions().setSsl(true).setKeyCertOptions(cert.keyCertOptions()),
      stream(pieces(":ok\n\n" + event("1", "a", "A") + event("2", "b", "B"), 50), HOLD));
    HttpClientOptions trustTheTestCertificate = new HttpClientOptions().setTrustOptions(cert.trustOptions()).setVerifyHost(false);
    deploy(vertx, config(server.url("https"), dir), ChannelAppendFile::open, trustTheTestCertificate);
    awaitRecords(file(), 2);
    assertFileHolds(file(), List.of(data("a", "A"), data("b", "B")));
    assertThat(server.received().get(0).header("User-Agent")).isEqualTo(IngestTesting.AGENT);
  }
}
