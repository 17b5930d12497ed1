package wikirecent.replay;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.testsupport.Wait;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The replay server on loopback, read byte for byte by a plain HTTP client. */
@ExtendWith(VertxExtension.class)
class ReplayServerTest {

  static final List<String> sample = Sample.lines();

  @TempDir
  Path dir;

  private static String id(long offset) {
    return "[{\"topic\":\"replay\",\"partition\":0,\"offset\":" + offset + "}]";
  }

  private static String frame(long offset, String data, String eol) {
    return "event: message" + eol + "id: " + id(offset) + eol + "data: " + data + eol + eol;
  }

  private static ReplayServer start(Vertx vertx, ReplayOptions options) {
    return Wait.on(ReplayServer.start(vertx, options.port(0)));
  }

  /**
   * GETs the feed and collects the body until the server ends it (or drops it: then what came).
   * Runs on an event loop, so the response's handlers are set before any of its body is read.
   */
  private static Received get(Vertx vertx, ReplayServer server, String path, String lastEventId) {
    HttpClient client = vertx.createHttpClient();
    Promise<Received> done = Promise.promise();
    vertx.getOrCreateContext().runOnContext(x -> client.request(HttpMethod.GET, server.port(), "127.0.0.1", path)
      .compose(req -> {
        if (lastEventId != null) {
          req.putHeader("Last-Event-ID", lastEventId);
        }
        return req.send();
      })
      .onSuccess(resp -> {
        Buffer body = Buffer.buffer();
        resp.handler(body::appendBuffer);
        resp.endHandler(v -> done.tryComplete(new Received(resp, body.toString(StandardCharsets.UTF_8), false)));
        resp.exceptionHandler(e -> done.tryComplete(new Received(resp, body.toString(StandardCharsets.UTF_8), true)));
      })
      .onFailure(done::tryFail));
    try {
      return done.future().await(30, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("no whole response from the replay server within 30 s", e);
    }
  }

  record Received(HttpClientResponse response, String body, boolean dropped) {
  }

  @Test
  void wikimediaLikeFramingFromTheBundledSample(Vertx vertx) {
    ReplayServer server = start(vertx, new ReplayOptions().cutEvery(3));
    assertThat(server.eventCount()).isEqualTo(5911);
    Received r = get(vertx, server, ReplayServer.PATH, null);
    assertThat(r.response().statusCode()).isEqualTo(200);
    assertThat(r.response().getHeader("Content-Type")).startsWith("text/event-stream");
    assertThat(r.dropped()).isFalse();
    assertThat(r.body()).isEqualTo(":ok\n\n" + frame(0, sample.get(0), "\n") + frame(1, sample.get(1), "\n") + frame(2, sample.get(2), "\n"));
  }

  @Test
  void resumesAfterTheLastEventId(Vertx vertx) {
    ReplayServer server = start(vertx, new ReplayOptions().cutEvery(2));
    Received r = get(vertx, server, ReplayServer.PATH, id(41));
    assertThat(r.body()).isEqualTo(":ok\n\n" + frame(42, sample.get(42), "\n") + frame(43, sample.get(43), "\n"));
    assertThat(server.requests()).singleElement().satisfies(req -> {
      assertThat(req.lastEventId()).isEqualTo(id(41));
      assertThat(req.startOffset()).isEqualTo(42);
    });
    // an id that is not ours starts from the beginning
    assertThat(get(vertx, server, ReplayServer.PATH, "[{\"topic\":\"eqiad.mediawiki.recentchange\",\"timestamp\":1}]").body())
      .isEqualTo(":ok\n\n" + frame(0, sample.get(0), "\n") + frame(1, sample.get(1), "\n"));
  }

  @Test
  void cutsInTheMiddleOfAFrame(Vertx vertx) {
    ReplayServer server = start(vertx, new ReplayOptions().cutEvery(2).cutMidFrame(true));
    Received r = get(vertx, server, ReplayServer.PATH, null);
    assertThat(r.dropped()).isTrue();
    byte[] third = frame(2, sample.get(2), "\n").getBytes(StandardCharsets.UTF_8);
    String half = new String(third, 0, third.length / 2, StandardCharsets.UTF_8);
    String expected = ":ok\n\n" + frame(0, sample.get(0), "\n") + frame(1, sample.get(1), "\n");
    assertThat(r.body()).startsWith(expected);
    // the half frame went out before the connection was dropped (a multi-byte character may be split: compare bytes)
    assertThat(r.body().getBytes(StandardCharsets.UTF_8).length).isEqualTo(expected.getBytes(StandardCharsets.UTF_8).length + third.length / 2);
    assertThat(half).startsWith("event: message\nid: " + id(2));
  }

  @Test
  void crlfLineEnds(Vertx vertx) {
    ReplayServer server = start(vertx, new ReplayOptions().cutEvery(1).crlf(true));
    assertThat(get(vertx, server, ReplayServer.PATH, null).body()).isEqualTo(":ok\r\n\r\n" + frame(0, sample.get(0), "\r\n"));
  }

  @Test
  void loopingGivesEachRoundFreshDeterministicMetaIds(Vertx vertx) throws Exception {
    Path file = dir.resolve("three.jsonl");
    Files.write(file, sample.subList(0, 3), StandardCharsets.UTF_8);
    ReplayServer a = start(vertx, new ReplayOptions().file(file).loop(true).cutEvery(9));
    ReplayServer b = start(vertx, new ReplayOptions().file(file).loop(true).cutEvery(9));
    String bodyA = get(vertx, a, ReplayServer.PATH, null).body();
    assertThat(get(vertx, b, ReplayServer.PATH, null).body()).isEqualTo(bodyA);

    ObjectMapper mapper = new ObjectMapper();
    List<ObjectNode> events = new ArrayList<>();
    for (String line : bodyA.split("\n")) {
      if (line.startsWith("data: ")) {
        events.add((ObjectNode) mapper.readTree(line.substring(6)));
      }
    }
    assertThat(events).hasSize(9);
    assertThat(events.stream().map(e -> e.path("meta").path("id").asText()).distinct()).hasSize(9);
    for (int i = 0; i < 9; i++) {
      ObjectNode original = (ObjectNode) mapper.readTree(sample.get(i % 3));
      ObjectNode served = events.get(i).deepCopy();
      if (i < 3) {
        assertThat(served).isEqualTo(original);
      }
      ((ObjectNode) served.get("meta")).remove("id");
      ((ObjectNode) original.get("meta")).remove("id");
      assertThat(served).as("event %d is the recorded one but for meta.id", i).isEqualTo(original);
    }
    assertThat(bodyA).contains("id: " + id(8));
  }

  @Test
  void servesSseTextRecordingsToo(Vertx vertx) throws Exception {
    Path file = dir.resolve("capture.sse");
    String capture;
    try (InputStream in = getClass().getResourceAsStream("/sse/recentchange-sample.sse")) {
      capture = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    Files.writeString(file, capture, StandardCharsets.UTF_8);
    List<String> data = new ArrayList<>();
    for (String line : capture.split("\n")) {
      if (line.startsWith("data: ")) {
        data.add(line.substring(6));
      }
    }
    ReplayServer server = start(vertx, new ReplayOptions().file(file).cutEvery(3));
    assertThat(server.eventCount()).isEqualTo(3);
    assertThat(get(vertx, server, ReplayServer.PATH, null).body())
      .isEqualTo(":ok\n\n" + frame(0, data.get(0), "\n") + frame(1, data.get(1), "\n") + frame(2, data.get(2), "\n"));
  }

  @Test
  void aRateLimitSpacesTheEventsOut(Vertx vertx) {
    ReplayServer server = start(vertx, new ReplayOptions().rate(50).cutEvery(30));
    long start = System.nanoTime();
    Received r = get(vertx, server, ReplayServer.PATH, null);
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertThat(r.body().split("event: message", -1)).hasSize(31);
    // a burst of at most 5, then 50 per second: the other 25 take at least half a second
    assertThat(millis).isGreaterThanOrEqualTo(450);
  }

  @Test
  void aReaderThatKeepsUpDoesNotHoldTheEventLoop(Vertx vertx) throws Exception {
    // Chunks written in one turn of the server's event loop: a task queued on it at a turn's first chunk ends the turn.
    int[] inTurn = {0};
    int[] most = {0};
    ReplayOptions options = new ReplayOptions().loop(true).heartbeatSeconds(0).writeListener((first, end) -> {
      if (inTurn[0]++ == 0) {
        Vertx.currentContext().runOnContext(v -> inTurn[0] = 0);
      }
      most[0] = Math.max(most[0], inTurn[0]);
    });
    ReplayServer server = start(vertx, options); // rate 0 and endless: as fast as the reader reads
    Vertx reader = Vertx.vertx(); // another process's worth of event loops
    try {
      Promise<Void> read = Promise.promise();
      long[] bytes = {0};
      reader.getOrCreateContext().runOnContext(x -> reader.createHttpClient()
        .request(HttpMethod.GET, server.port(), "127.0.0.1", ReplayServer.PATH)
        .compose(r -> r.send())
        .onSuccess(resp -> resp.handler(b -> {
          bytes[0] += b.length();
          if (bytes[0] > 64 << 20 && read.tryComplete()) {
            resp.request().connection().close();
          }
        }))
        .onFailure(read::tryFail));
      read.future().await(60, TimeUnit.SECONDS);
    } finally {
      reader.close().await(30, TimeUnit.SECONDS);
    }
    // A turn that went on while the reader kept up left nothing else on that loop a turn: not other connections,
    // not the close of one that dropped meanwhile (writes that fail never fill the queue, so it spun for good).
    assertThat(most[0]).isBetween(1, 16);
    server.close().await(10, TimeUnit.SECONDS);
  }

  /** The first sample event whose meta.dt is at or after {@code t}, read with Jackson and java.time. */
  private static int firstAtOrAfter(java.time.Instant t) throws Exception {
    ObjectMapper mapper = new ObjectMapper();
    for (int i = 0; i < sample.size(); i++) {
      String dt = mapper.readTree(sample.get(i)).path("meta").path("dt").asText(null);
      if (dt != null && !java.time.OffsetDateTime.parse(dt).toInstant().isBefore(t)) {
        return i;
      }
    }
    return -1;
  }

  @Test
  void sinceStartsAtTheFirstEventAtOrAfterThatTimeGivenAsIsoOrMillis(Vertx vertx) throws Exception {
    ReplayServer server = start(vertx, new ReplayOptions().cutEvery(2));
    java.time.Instant t = java.time.Instant.parse("2018-03-07T16:16:20Z");
    int first = firstAtOrAfter(t);
    assertThat(first).isGreaterThan(0);
    String expected = ":ok\n\n" + frame(first, sample.get(first), "\n") + frame(first + 1, sample.get(first + 1), "\n");
    for (String since : List.of("2018-03-07T16:16:20Z", "2018-03-07T16%3A16%3A20%2B00%3A00", "2018-03-07T17:16:20.000+01:00".replace("+", "%2B"),
      Long.toString(t.toEpochMilli()))) {
      assertThat(get(vertx, server, ReplayServer.PATH + "?since=" + since, null).body()).as(since).isEqualTo(expected);
    }
    assertThat(server.requests()).allSatisfy(r -> assertThat(r.startOffset()).isEqualTo(first));
    assertThat(server.requests().get(0).since()).isEqualTo("2018-03-07T16:16:20Z");

    // a time a second later starts later
    java.time.Instant later = t.plusSeconds(1);
    int firstLater = firstAtOrAfter(later);
    assertThat(firstLater).isGreaterThan(first);
    assertThat(get(vertx, server, ReplayServer.PATH + "?since=" + later.toEpochMilli(), null).body())
      .startsWith(":ok\n\n" + frame(firstLater, sample.get(firstLater), "\n"));
  }

  @Test
  void aSinceAfterEveryRecordedEventIsTheLiveEdgeWhichForAReplayIsItsStart(Vertx vertx) {
    ReplayServer server = start(vertx, new ReplayOptions().cutEvery(1));
    assertThat(get(vertx, server, ReplayServer.PATH + "?since=2030-01-01T00:00:00Z", null).body())
      .isEqualTo(":ok\n\n" + frame(0, sample.get(0), "\n"));
  }

  @Test
  void aLastEventIdOfOursWinsOverSince(Vertx vertx) {
    ReplayServer server = start(vertx, new ReplayOptions().cutEvery(1));
    assertThat(get(vertx, server, ReplayServer.PATH + "?since=2018-03-07T16:16:20Z", id(99)).body())
      .isEqualTo(":ok\n\n" + frame(100, sample.get(100), "\n"));
  }

  @Test
  void aSinceThatIsNotATimeIsRefusedWithTheReason(Vertx vertx) {
    ReplayServer server = start(vertx, new ReplayOptions());
    Received r = get(vertx, server, ReplayServer.PATH + "?since=yesterday", null);
    assertThat(r.response().statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("since").contains("ISO-8601").contains("milliseconds");
  }

  /** Ids and times too large to count from are not ours, or not times: neither ends a stream that sends nothing. */
  @Test
  void anOffsetOrATimeOutOfRangeIsNotFollowedIntoAnOverflow(Vertx vertx) {
    ReplayServer server = start(vertx, new ReplayOptions().cutEvery(1));
    for (long huge : new long[]{Long.MAX_VALUE, Long.MAX_VALUE - 1, ReplayFeed.MAX_OFFSET + 1}) {
      assertThat(get(vertx, server, ReplayServer.PATH, id(huge)).body()).as("offset " + huge)
        .isEqualTo(":ok\n\n" + frame(0, sample.get(0), "\n"));
    }
    for (String since : new String[]{"-300000000-01-01T00:00:00Z", "+300000000-01-01T00:00:00Z"}) {
      Received r = get(vertx, server, ReplayServer.PATH + "?since=" + since.replace("+", "%2B"), null);
      assertThat(r.response().statusCode()).as(since).isEqualTo(400);
      assertThat(r.body()).contains("since");
    }
  }

  @Test
  void otherPathsAreNotFound(Vertx vertx) {
    ReplayServer server = start(vertx, new ReplayOptions());
    assertThat(get(vertx, server, "/v2/stream/other", null).response().statusCode()).isEqualTo(404);
  }

  @Test
  void anEmptyRecordingIsRefusedAtStart(Vertx vertx) throws Exception {
    Path file = dir.resolve("empty.jsonl");
    Files.writeString(file, "\n\n");
    Future<ReplayServer> f = ReplayServer.start(vertx, new ReplayOptions().file(file).port(0));
    assertThatThrownBy(() -> Wait.on(f)).hasMessageContaining("no events");
  }

  @Test
  void commandLine() {
    ReplayOptions o = ReplayOptions.parse(new String[] {"--rate", "2.5", "--cut-every", "100", "--cut-mid-frame", "--loop",
      "--port", "0", "--host", "0.0.0.0", "--crlf", "rec.jsonl"});
    assertThat(o.rate()).isEqualTo(2.5);
    assertThat(o.cutEvery()).isEqualTo(100);
    assertThat(o.cutMidFrame()).isTrue();
    assertThat(o.loop()).isTrue();
    assertThat(o.port()).isZero();
    assertThat(o.host()).isEqualTo("0.0.0.0");
    assertThat(o.crlf()).isTrue();
    assertThat(o.file()).isEqualTo(Path.of("rec.jsonl"));
    ReplayOptions defaults = ReplayOptions.parse(new String[0]);
    assertThat(defaults.port()).isEqualTo(8876);
    assertThat(defaults.host()).isEqualTo("127.0.0.1");
    assertThat(defaults.file()).isNull();
    assertThat(ReplayOptions.parse(new String[] {"--help"}).help()).isTrue();
    assertThatThrownBy(() -> ReplayOptions.parse(new String[] {"--rate"})).hasMessage("--rate needs a value");
    assertThatThrownBy(() -> ReplayOptions.parse(new String[] {"--port", "x"})).hasMessage("--port needs a whole number, not x");
    assertThatThrownBy(() -> ReplayOptions.parse(new String[] {"--cut-mid-frame"})).hasMessageContaining("--cut-every");
    assertThatThrownBy(() -> ReplayOptions.parse(new String[] {"--bogus"})).hasMessage("unknown argument: --bogus");
  }
}
