package wikirecent.web;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import wikirecent.testsupport.LogCapture;
import wikirecent.testsupport.Wait;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Requests only a broken or hostile client sends, each many times: every one gets its 4xx, is
 * counted, and the whole flood costs a few short log lines, never a stack trace.
 */
@ExtendWith(VertxExtension.class)
class MalformedRequestsTest {

  private static final int TIMES = 100;
  private static final String KEY = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
  private static final String UPGRADE = "Upgrade: websocket\r\nConnection: Upgrade\r\n";

  @RegisterExtension
  final LogCapture logs = new LogCapture(org.slf4j.Logger.ROOT_LOGGER_NAME);

  /** A malformed request, the status it must get and the meter kind it must be counted under. */
  record Case(String request, int status, String kind) {
  }

  private static Map<String, Case> cases() {
    Map<String, Case> cases = new LinkedHashMap<>();
    cases.put("stream upgrade without a key", new Case("GET /api/stream/top10 HTTP/1.1\r\nHost: localhost\r\n" + UPGRADE
      + "Sec-WebSocket-Version: 13\r\n\r\n", 400, "upgrade"));
    cases.put("SockJS upgrade without a key", new Case("GET /eventbus/websocket HTTP/1.1\r\nHost: localhost\r\n" + UPGRADE
      + "Sec-WebSocket-Version: 13\r\n\r\n", 400, "upgrade"));
    cases.put("upgrade to an old WebSocket version", new Case("GET /api/stream/top10 HTTP/1.1\r\nHost: localhost\r\n" + UPGRADE
      + KEY + "Sec-WebSocket-Version: 8\r\n\r\n", 426, "upgrade"));
    cases.put("bad escape in the path", new Case("GET /%zz HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, "path"));
    cases.put("bad escape in a view name", new Case("GET /api/views/%zz HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, "path"));
    cases.put("bad escape in a view's query", new Case("GET /api/views/top10?wiki=%zz HTTP/1.1\r\nHost: localhost\r\n\r\n", 400,
      "query"));
    cases.put("bad escape in a stream's query", new Case("GET /api/stream/top10?x=% HTTP/1.1\r\nHost: localhost\r\n\r\n", 400,
      "query"));
    cases.put("broken chunked body", new Case("POST /eventbus/000/abcd/xhr_send HTTP/1.1\r\nHost: localhost\r\n"
      + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400, "request"));
    cases.put("unreadable head", new Case("GARBAGE\r\n\r\n", 400, "head"));
    return cases;
  }

  /** The refusals the router's first checks make say nosniff too, as every other answer does. */
  @Test
  void refusalsSayNosniff(Vertx vertx) throws Exception {
    WebNode web = Wait.on(WebNode.start(vertx, null));
    for (String name : List.of("stream upgrade without a key", "upgrade to an old WebSocket version")) {
      RawHttp.Response r = RawHttp.exchange(web.port(), cases().get(name).request());
      assertThat(r.status()).as(name).isEqualTo(cases().get(name).status());
      assertThat(r.header("x-content-type-options")).as(name).isEqualTo("nosniff");
    }
  }

  @Test
  void eachGetsItsStatusIsCountedAndTheFloodLogsAFewShortLines(Vertx vertx) throws Exception {
    WebNode web = Wait.on(WebNode.start(vertx, null));
    long started = System.nanoTime();
    Map<String, Integer> expectedPerKind = new LinkedHashMap<>();
    Map<String, List<Integer>> statuses = new LinkedHashMap<>();
    for (Map.Entry<String, Case> c : cases().entrySet()) {
      List<Integer> got = new java.util.ArrayList<>();
      for (int i = 0; i < TIMES; i++) {
        try {
          got.add(RawHttp.exchange(web.port(), c.getValue().request()).status());
        } catch (java.io.IOException e) {
          got.add(-1); // closed without an answer
        }
      }
      statuses.put(c.getKey(), got);
      expectedPerKind.merge(c.getValue().kind(), TIMES, Integer::sum);
    }
    long seconds = (System.nanoTime() - started) / 1_000_000_000 + 1;

    List<ILoggingEvent> events = logs.events().stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.INFO))
      .filter(e -> !e.getLoggerName().endsWith("WebVerticle") && !e.getLoggerName().endsWith("ViewReplica")).toList();
    assertThat(events).as("no stack traces").allSatisfy(e -> {
      assertThat(e.getThrowableProxy()).isNull();
      assertThat(e.getFormattedMessage()).doesNotContain("\tat ").hasSizeLessThan(400);
    });
    // One line per 10 s for all of them together (a few kinds of line may each have their own).
    assertThat(events.size()).as("log lines for %d bad requests in %d s: %s", TIMES * cases().size(), seconds, events)
      .isLessThanOrEqualTo((int) (3 * (seconds / 10 + 1)));

    cases().forEach((name, c) -> assertThat(statuses.get(name)).as(name).containsOnly(c.status()));
    String metrics = Http.get(vertx, web.port(), "/metrics").bodyAsString();
    expectedPerKind.forEach((kind, n) ->
      assertThat(metrics).contains("wikirecent_web_requests_malformed_total{kind=\"" + kind + "\"} " + n + ".0"));
  }
}
