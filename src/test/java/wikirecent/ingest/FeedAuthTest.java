package wikirecent.ingest;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import wikirecent.testsupport.Wait;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
class FeedAuthTest {

  /** Non-http(s) Locations: each must not be followed. */
  private static final List<String> NOT_HTTP = List.of("ftp://127.0.0.1:21/feed", "javascript:alert(1)", "file:///etc/passwd",
    "mailto:feed@example.org");

  /** Locations that are no URL at all. */
  private static final List<String> NO_URL = List.of("http://exa mple.org/feed", "http://[::1/feed", ":feed");

  /** A loopback server that answers every request with a 302 to the Location in its {@code to} parameter. */
  private static ScriptedSseServer redirecting(Vertx vertx) {
    return ScriptedSseServer.start(vertx, (v, req) -> req.response().setStatusCode(302).putHeader("Location", req.getParam("to")).end("moved"));
  }

  private static String to(ScriptedSseServer server, String location) {
    return server.url() + "?to=" + URLEncoder.encode(location, StandardCharsets.UTF_8);
  }

  /** The 302 with this Location as a client that follows nothing receives it: what ingest's client hands its redirect handler. */
  private static HttpClientResponse answer(Vertx vertx, ScriptedSseServer server, String location) {
    HttpClient client = vertx.createHttpClient();
    Promise<HttpClientResponse> answered = Promise.promise();
    // On an event loop: from the test thread the body could end before its handler is set, and never be read.
    vertx.runOnContext(v -> client.request(new RequestOptions().setAbsoluteURI(to(server, location)))
      .compose(HttpClientRequest::send)
      .compose(resp -> resp.body().map(resp))
      .onComplete(answered));
    try {
      return Wait.on(answered.future());
    } finally {
      client.close();
    }
  }

  private static String basicOf(String pair) {
    return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void theUserPartIsBasicAuthenticationWithItsEscapesDecoded() {
    assertThat(FeedAuth.basic("https://u:p%40ss@h/feed")).isEqualTo(basicOf("u:p@ss"));
    assertThat(FeedAuth.basic("https://u:a:b@h/feed")).isEqualTo(basicOf("u:a:b")); // the server splits at the first colon
    assertThat(FeedAuth.basic("https://t%C3%B6ken@h/feed")).isEqualTo(basicOf("töken:")); // a user alone: an empty password
    assertThat(FeedAuth.basic("https://h/feed?token=x")).isNull();
  }

  @Test
  void aLocationOfAQueryAloneKeepsThePath() throws Exception {
    URI base = new URI("http://h:1/v2/stream/recentchange?since=1");
    assertThat(FeedAuth.resolve(base, new URI("?since=2"))).hasToString("http://h:1/v2/stream/recentchange?since=2");
    assertThat(FeedAuth.resolve(base, new URI(""))).hasToString("http://h:1/v2/stream/recentchange?since=1");
    assertThat(FeedAuth.resolve(base, new URI("/moved?x=1"))).hasToString("http://h:1/moved?x=1");
    assertThat(FeedAuth.resolve(base, new URI("other"))).hasToString("http://h:1/v2/stream/other");
    assertThat(FeedAuth.resolve(base, new URI("https://g/f"))).hasToString("https://g/f");
  }

  @Test
  void aLocationThatIsNotHttpIsNotFollowed(Vertx vertx) {
    ScriptedSseServer server = redirecting(vertx);
    // The same answer with an http(s) Location is followed: the nulls below are the scheme's doing.
    Future<RequestOptions> followed = FeedAuth.redirect(answer(vertx, server, "https://127.0.0.1:1/feed"));
    assertThat(followed.succeeded()).isTrue();
    assertThat(followed.result().getURI()).isEqualTo("/feed");
    for (String location : NOT_HTTP) {
      HttpClientResponse resp = answer(vertx, server, location);
      assertThat(resp.getHeader("Location")).isEqualTo(location);
      assertThat(FeedAuth.redirect(resp)).as(location).isNull();
    }
  }

  @Test
  void aLocationThatIsNoUrlIsARefusalNotAThrow(Vertx vertx) {
    ScriptedSseServer server = redirecting(vertx);
    for (String location : NO_URL) {
      HttpClientResponse resp = answer(vertx, server, location);
      assertThat(resp.getHeader("Location")).isEqualTo(location);
      Future<RequestOptions> refused = FeedAuth.redirect(resp);
      assertThat(refused).as(location).isNotNull();
      assertThat(refused.failed()).as(location).isTrue();
      assertThat(refused.cause()).as(location).hasMessage("a redirect to " + location + ", which is no URL to follow");
    }
  }

  /** Through a client that follows with it, as ingest's does: the 302 itself reaches the caller, or the request fails. */
  @Test
  void aClientFollowingWithItGetsTheRedirectOrAFailure(Vertx vertx) {
    ScriptedSseServer server = redirecting(vertx);
    HttpClient client = vertx.httpClientBuilder().withRedirectHandler(FeedAuth::redirect).build();
    for (String location : NOT_HTTP) {
      HttpClientResponse resp = Wait.on(client.request(new RequestOptions().setAbsoluteURI(to(server, location)).setFollowRedirects(true))
        .compose(HttpClientRequest::send));
      assertThat(resp.statusCode()).as(location).isEqualTo(302);
      assertThat(resp.getHeader("Location")).isEqualTo(location);
    }
    for (String location : NO_URL) {
      Throwable failure = Wait.on(client.request(new RequestOptions().setAbsoluteURI(to(server, location)).setFollowRedirects(true))
        .compose(HttpClientRequest::send)
        .transform(ar -> Future.succeededFuture(ar.cause())));
      assertThat(failure).as(location).hasMessage("a redirect to " + location + ", which is no URL to follow");
    }
  }
}
