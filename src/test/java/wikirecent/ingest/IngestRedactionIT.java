package wikirecent.ingest;

import ch.qos.logback.classic.Level;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
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
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static wikirecent.ingest.IngestTesting.PATIENCE;
import static wikirecent.ingest.IngestTesting.awaitRecords;
import static wikirecent.ingest.IngestTesting.config;
import static wikirecent.ingest.IngestTesting.counter;
import static wikirecent.ingest.IngestTesting.deploy;
import static wikirecent.ingest.IngestTesting.status;
import static wikirecent.ingest.ScriptedSseServer.After.DROP;
import static wikirecent.ingest.ScriptedSseServer.After.HOLD;
import static wikirecent.ingest.ScriptedSseServer.pieces;
import static wikirecent.ingest.ScriptedSseServer.status;
import static wikirecent.ingest.ScriptedSseServer.stream;

/** A feed URL with a password (sent as Basic authentication) and a token: the request uses them, nothing that is shown does. */
@ExtendWith(VertxExtension.class)
class IngestRedactionIT {

  private static final String PASSWORD = "s3cret-pw-4711";
  private static final String TOKEN = "t0ken-0815";

  @TempDir
  Path dir;

  @RegisterExtension
  final LogCapture logs = new LogCapture("wikirecent");

  /** Everything logged, Vert.x's and Netty's own loggers too: where an exception thrown inside the client would show. */
  @RegisterExtension
  final LogCapture everything = new LogCapture(org.slf4j.Logger.ROOT_LOGGER_NAME);

  private static String event(String id, String metaId) {
    return "event: message\nid: " + id + "\ndata: {\"meta\":{\"id\":\"" + metaId + "\"},\"user\":\"U\"}\n\n";
  }

  private void assertNoSecret(String what, String text) {
    assertThat(text).as(what).doesNotContain(PASSWORD).doesNotContain(TOKEN);
  }

  @Test
  void theStatusLogsAndErrorsNeverShowTheCredentials(Vertx vertx) throws Exception {
    // The server echoes the URL it was asked for in its refusal, as many do.
    ScriptedSseServer server = ScriptedSseServer.start(vertx,
      (v, req) -> req.response().setStatusCode(401).end("bad credentials for " + req.absoluteURI()),
      stream(pieces(event("1", "a"), 1000), DROP),
      stream(pieces(event("2", "b"), 1000), HOLD));
    String url = server.url().replace("http://", "http://feeduser:" + PASSWORD + "@") + "?token=" + TOKEN;
    List<JsonObject> statuses = new ArrayList<>();
    deploy(vertx, config(url, dir, Config.INGEST_BACKOFF_MILLIS, 200));
    Wait.until("both events, status seen along the way", PATIENCE, () -> {
      statuses.add(status(vertx));
      return FileRecords.countRecords(dir.resolve(Config.FILE_NAME)) >= 2;
    });
    awaitRecords(dir.resolve(Config.FILE_NAME), 2);
    statuses.add(status(vertx));

    assertThat(server.received()).hasSize(3).allSatisfy(r -> assertThat(r.param("token")).isEqualTo(TOKEN)); // the real URL
    String basic = "Basic " + java.util.Base64.getEncoder().encodeToString(("feeduser:" + PASSWORD).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(server.received()).allSatisfy(r -> assertThat(r.headers().get("authorization")).isEqualTo(basic)); // and its user
    assertThat(statuses.get(statuses.size() - 1).getString("detail")).contains("http://***@127.0.0.1:").contains("token=***");
    for (JsonObject s : statuses) {
      assertNoSecret("status", s.encode());
    }
    assertThat(logs.lines()).anyMatch(l -> l.contains("HTTP 401") && l.contains("bad credentials for"));
    assertThat(logs.lines()).anyMatch(l -> l.contains("Connected to http://***@127.0.0.1:"));
    for (String line : logs.lines()) {
      assertNoSecret("log line", line);
    }
  }

  /** The credentials go along a redirect within the feed's origin, and not to another one (as browsers and curl do). */
  @Test
  void aRedirectedFeedIsFollowedAndItsCredentialsGoToItsOwnOriginOnly(Vertx vertx) throws Exception {
    ScriptedSseServer elsewhere = ScriptedSseServer.start(vertx, stream(pieces(event("1", "a"), 1000), HOLD));
    String elsewhereUrl = elsewhere.url(); // another origin: another port
    ScriptedSseServer feed = ScriptedSseServer.start(vertx,
      (v, req) -> req.response().setStatusCode(302).putHeader("Location", "/moved?token=" + TOKEN).end(),
      (v, req) -> req.response().setStatusCode(307).putHeader("Location", elsewhereUrl).end());
    String url = feed.url().replace("http://", "http://feeduser:" + PASSWORD + "@");
    deploy(vertx, config(url, dir, Config.INGEST_BACKOFF_MILLIS, 200));
    awaitRecords(dir.resolve(Config.FILE_NAME), 1);

    String basic = "Basic " + java.util.Base64.getEncoder().encodeToString(("feeduser:" + PASSWORD).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(feed.received()).hasSize(2).allSatisfy(r -> assertThat(r.header("authorization")).isEqualTo(basic));
    assertThat(elsewhere.received()).hasSize(1).allSatisfy(r -> {
      assertThat(r.header("authorization")).isNull();
      assertThat(r.header("accept")).isEqualTo("text/event-stream"); // the request's other headers go along
    });
    for (String line : logs.lines()) {
      assertNoSecret("log line", line);
    }
  }

  /**
   * A redirect to a Location that is not http(s) is not followed, nor given the credentials: the 302 ends the request as
   * a refusal (docs/ingest.md), logged as one and retried on the back-off, and ingest is not live meanwhile.
   */
  @Test
  void aRedirectToAnFtpLocationIsARefusalRetriedOnTheBackOff(Vertx vertx) {
    RawHttpServer ftpSide = RawHttpServer.start(vertx, new RawHttpServer.Answer(new byte[0], true)); // sees anything sent there
    String location = ftpSide.url().replace("http://", "ftp://feeduser:" + PASSWORD + "@");
    ScriptedSseServer feed = ScriptedSseServer.start(vertx, status(302, "moved to ftp", "Location", location));
    String url = feed.url().replace("http://", "http://feeduser:" + PASSWORD + "@");
    deploy(vertx, config(url, dir, Config.INGEST_BACKOFF_MILLIS, 200));
    Wait.until("three attempts", PATIENCE, () -> feed.received().size() >= 3);
    // Each attempt before the last came back a refusal, none a failed connection.
    assertThat(counter(vertx, "wikirecent_ingest_http_refusals_total")).isGreaterThanOrEqualTo(2);
    List<JsonObject> statuses = new ArrayList<>();
    Wait.until("the status names the refusal", PATIENCE, () -> {
      JsonObject s = status(vertx);
      statuses.add(s);
      return s.getString("detail").contains("refused with HTTP 302 (moved to ftp), retrying in");
    });
    assertThat(statuses).allSatisfy(s -> assertThat(s.getBoolean("live")).isFalse());

    assertThat(ftpSide.heads()).isEmpty();
    assertThat(logs.at(Level.ERROR)).filteredOn(l -> l.contains("with HTTP 302: moved to ftp (check stream.url")).hasSizeGreaterThanOrEqualTo(2);
    assertThat(everything.events()).as("no stack traces").allSatisfy(e -> assertThat(e.getThrowableProxy()).isNull());
    assertThat(everything.events()).as("nothing from outside wikirecent at WARN or above")
      .noneMatch(e -> !e.getLoggerName().startsWith("wikirecent") && e.getLevel().isGreaterOrEqual(Level.WARN));
    for (String line : logs.lines()) {
      assertNoSecret("log line", line);
    }
  }

  @Test
  void aBadUrlIsRefusedWithoutShowingItsCredentials(Vertx vertx) {
    String url = "ftp://feeduser:" + PASSWORD + "@example.org/feed?token=" + TOKEN;
    Throwable failure = Wait.on(vertx.deployVerticle(new IngestVerticle(), new DeploymentOptions().setConfig(config(url, dir)))
      .transform(ar -> Future.succeededFuture(ar.cause())));
    assertThat(failure).hasMessageContaining("stream.url must be an http:// or https:// URL").hasMessageContaining("ftp://***@example.org/feed?token=***");
    assertNoSecret("error", failure.getMessage());
    for (String line : logs.lines()) {
      assertNoSecret("log line", line);
    }
  }
}
