package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import wikirecent.config.Config;
import wikirecent.testsupport.Wait;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code web.allowedOrigins} decides for REST, the WebSocket stream and SockJS alike, and no
 * answer ever allows credentials. Requests are written byte for byte, with the {@code Origin}
 * header a browser would send from another site's page.
 */
@ExtendWith(VertxExtension.class)
class OriginsTest {

  private static final String GOOD = "https://good.example";
  private static final String EVIL = "https://evil.example";

  private static String upgrade(String path, String origin) {
    return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
      + (origin == null ? "" : "Origin: " + origin + "\r\n") + "\r\n";
  }

  private static String get(String path, String origin) {
    return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" + (origin == null ? "" : "Origin: " + origin + "\r\n") + "\r\n";
  }

  private static String post(String path, String origin, String body) {
    return "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: "
      + body.length() + "\r\n" + (origin == null ? "" : "Origin: " + origin + "\r\n") + "\r\n" + body;
  }

  private static String preflight(String path, String origin) {
    return "OPTIONS " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nOrigin: " + origin + "\r\n"
      + "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\n\r\n";
  }

  /** The requests of every surface a page of {@code origin} could make: REST, the stream, SockJS. */
  private static Map<String, String> requests(String origin) {
    Map<String, String> r = new LinkedHashMap<>();
    r.put("SockJS info", get("/eventbus/info", origin));
    r.put("REST", get("/api/views", origin));
    r.put("REST snapshot", get("/api/views/counter", origin));
    r.put("stream", upgrade("/api/stream/counter", origin));
    r.put("SockJS xhr", post("/eventbus/000/" + Math.abs(origin == null ? 1 : origin.hashCode()) + "/xhr", origin, ""));
    r.put("SockJS websocket", upgrade("/eventbus/000/abcdef/websocket", origin));
    r.put("SockJS raw websocket", upgrade("/eventbus/websocket", origin));
    return r;
  }

  @Test
  void withAListAForeignPageIsRefusedOnEverySurfaceAndAListedOneAllowed(Vertx vertx) throws Exception {
    Wait.on(vertx.deployVerticle(new ScriptedViewSource(true)));
    WebNode web = Wait.on(WebNode.start(vertx, new JsonObject().put(Config.WEB_ALLOWED_ORIGINS, GOOD + ", https://other.example")));
    Wait.until("synced", () -> Http.get(vertx, web.port(), "/api/views/counter").statusCode() == 200);

    int refused = 0;
    for (Map.Entry<String, String> r : requests(EVIL).entrySet()) {
      RawHttp.Response answer = RawHttp.exchange(web.port(), r.getValue());
      assertThat(answer.status()).as(r.getKey() + " from " + EVIL).isEqualTo(403);
      assertThat(answer.header("access-control-allow-origin")).as(r.getKey()).isNull();
      assertThat(answer.header("access-control-allow-credentials")).as(r.getKey()).isNull();
      refused++;
    }
    RawHttp.Response preflight = RawHttp.exchange(web.port(), preflight("/eventbus/000/abc/xhr_send", EVIL));
    assertThat(preflight.status()).isEqualTo(403);
    refused++;

    for (Map.Entry<String, String> r : requests(GOOD).entrySet()) {
      RawHttp.Response answer = RawHttp.exchange(web.port(), r.getValue());
      boolean ws = r.getKey().contains("websocket") || r.getKey().equals("stream");
      assertThat(answer.status()).as(r.getKey() + " from " + GOOD).isEqualTo(ws ? 101 : 200);
      if (!ws) {
        assertThat(answer.header("access-control-allow-origin")).as(r.getKey()).isEqualTo(GOOD);
        assertThat(answer.header("vary")).as(r.getKey()).containsIgnoringCase("origin");
      }
      assertThat(answer.header("access-control-allow-credentials")).as(r.getKey()).isNull();
    }
    RawHttp.Response allowedPreflight = RawHttp.exchange(web.port(), preflight("/eventbus/000/abc/xhr_send", GOOD));
    assertThat(allowedPreflight.status()).isEqualTo(204);
    assertThat(allowedPreflight.header("access-control-allow-origin")).isEqualTo(GOOD);
    assertThat(allowedPreflight.header("access-control-allow-credentials")).isNull();

    // Only the listed origins may frame its pages (SockJS's iframe transport is one: it talks to this server as its own
    // origin); the dashboard keeps its own policy, which lets no one frame it.
    RawHttp.Response iframe = RawHttp.exchange(web.port(), "GET /eventbus/iframe.html HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assertThat(iframe.status()).isEqualTo(200);
    assertThat(iframe.header("content-security-policy")).isEqualTo("frame-ancestors 'self' " + GOOD + " https://other.example");
    assertThat(RawHttp.exchange(web.port(), "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").header("content-security-policy"))
      .isEqualTo(WebVerticle.CONTENT_SECURITY_POLICY);

    // The page served by this server is always allowed: its Origin is the Host it talks to.
    String own = "http://localhost";
    for (Map.Entry<String, String> r : requests(own).entrySet()) {
      RawHttp.Response answer = RawHttp.exchange(web.port(), r.getValue());
      boolean ws = r.getKey().contains("websocket") || r.getKey().equals("stream");
      assertThat(answer.status()).as(r.getKey() + " from the server's own page").isEqualTo(ws ? 101 : 200);
    }
    // And so are clients that are not pages (no Origin: curl, the benchmarks).
    for (Map.Entry<String, String> r : requests(null).entrySet()) {
      RawHttp.Response answer = RawHttp.exchange(web.port(), r.getValue());
      boolean ws = r.getKey().contains("websocket") || r.getKey().equals("stream");
      assertThat(answer.status()).as(r.getKey() + " without an Origin").isEqualTo(ws ? 101 : 200);
      assertThat(answer.header("access-control-allow-credentials")).as(r.getKey()).isNull();
    }
    assertThat(Http.get(vertx, web.port(), "/metrics").bodyAsString()).contains("wikirecent_web_origins_refused_total " + refused + ".0");
  }

  @Test
  void withAnyOriginEveryPageMayReadButNoAnswerAllowsCredentials(Vertx vertx) throws Exception {
    Wait.on(vertx.deployVerticle(new ScriptedViewSource(true)));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    Wait.until("synced", () -> Http.get(vertx, web.port(), "/api/views/counter").statusCode() == 200);

    Map<String, String> all = new LinkedHashMap<>(requests(EVIL));
    all.put("SockJS preflight", preflight("/eventbus/000/abc/xhr_send", EVIL));
    all.put("SockJS info preflight", preflight("/eventbus/info", EVIL));
    all.put("SockJS xhr_streaming", post("/eventbus/000/stream1/xhr_streaming", EVIL, ""));
    all.put("page", get("/", EVIL));
    all.put("health", get("/health/live", EVIL));
    for (Map.Entry<String, String> r : all.entrySet()) {
      try (RawHttp http = RawHttp.connect(web.port())) {
        http.send(r.getValue());
        RawHttp.Response answer = http.readResponse();
        boolean ws = r.getKey().contains("websocket") || r.getKey().equals("stream");
        assertThat(answer.status()).as(r.getKey()).isEqualTo(ws ? 101 : r.getKey().contains("preflight") ? 204 : 200);
        assertThat(answer.header("access-control-allow-credentials")).as(r.getKey()).isNull();
        if (!ws) {
          assertThat(answer.header("access-control-allow-origin")).as(r.getKey()).isEqualTo("*");
        }
      }
    }
    // Without an Origin (not a page) there is nothing to allow either.
    RawHttp.Response info = RawHttp.exchange(web.port(), get("/eventbus/info", null));
    assertThat(info.header("access-control-allow-credentials")).isNull();
  }
}
