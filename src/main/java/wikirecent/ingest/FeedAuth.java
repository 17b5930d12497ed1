package wikirecent.ingest;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;

/**
 * The credentials of a feed URL ({@code https://user:password@host/...}) as HTTP Basic authentication, which is what
 * a user writing them there means; and the redirects the stream follows, which carry them to the URL's own origin only
 * (the stock redirect copies every header, {@code Authorization} too, to wherever {@code Location} points).
 */
final class FeedAuth {

  private FeedAuth() {
  }

  /** {@code Basic base64(user:password)} for a URL with a user part (percent-escapes decoded), else null. */
  static String basic(String url) {
    String user;
    try {
      user = new URI(url).getUserInfo();
    } catch (URISyntaxException e) {
      return null;
    }
    if (user == null) {
      return null;
    }
    String pair = user.indexOf(':') >= 0 ? user : user + ":"; // a user alone (a token) has an empty password, as curl sends it
    return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
  }

  /** The client's redirect handler: 301, 302, 303, 307 and 308 with a Location are followed; null: not a redirect. */
  static Future<RequestOptions> redirect(HttpClientResponse resp) {
    int code = resp.statusCode();
    String location = resp.getHeader(HttpHeaders.LOCATION);
    if (location == null || !(code == 301 || code == 302 || code == 303 || code == 307 || code == 308)) {
      return null;
    }
    HttpClientRequest req = resp.request();
    try {
      URI from = new URI(req.absoluteURI());
      URI to = resolve(from, new URI(location));
      if (!"http".equalsIgnoreCase(to.getScheme()) && !"https".equalsIgnoreCase(to.getScheme())) {
        return null; // not followed: the 3xx reaches the session as a refusal
      }
      MultiMap headers = HttpHeaders.headers().addAll(req.headers());
      headers.remove(HttpHeaders.HOST);
      if (!sameOrigin(from, to)) {
        headers.remove(HttpHeaders.AUTHORIZATION);
      }
      return Future.succeededFuture(new RequestOptions()
        .setMethod(code == 303 ? HttpMethod.GET : req.getMethod())
        .setAbsoluteURI(to.toString())
        .setHeaders(headers));
    } catch (URISyntaxException | RuntimeException e) {
      // Vert.x calls this without a guard: a throw would leave the response unanswered.
      return Future.failedFuture("a redirect to " + location + ", which is no URL to follow");
    }
  }

  /** RFC 3986's resolution: a reference of a query alone keeps the base's path (java.net.URI, after RFC 2396, drops its last part). */
  static URI resolve(URI base, URI ref) throws URISyntaxException {
    if (ref.getScheme() == null && ref.getRawAuthority() == null && (ref.getRawPath() == null || ref.getRawPath().isEmpty())) {
      String query = ref.getRawQuery() != null ? ref.getRawQuery() : base.getRawQuery();
      return new URI(base.getScheme() + "://" + base.getRawAuthority() + base.getRawPath() + (query == null ? "" : "?" + query));
    }
    return base.resolve(ref);
  }

  private static boolean sameOrigin(URI a, URI b) {
    return a.getScheme() != null && a.getScheme().equalsIgnoreCase(b.getScheme())
      && a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost()) && port(a) == port(b);
  }

  private static int port(URI u) {
    return u.getPort() != -1 ? u.getPort() : Objects.equals(u.getScheme(), "https") ? 443 : 80;
  }
}
