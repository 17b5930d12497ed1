package wikirecent.web;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Which other sites' pages may use this server ({@code web.allowedOrigins}), applied alike to
 * REST, the WebSocket stream and SockJS. The data is public and no request carries cookies, so
 * {@code *} (any origin) is the default. With a list, a request whose {@code Origin} is neither
 * listed nor this server's own is refused with 403 before anything else, WebSocket upgrades
 * included. An allowed cross-origin answer gets {@code Access-Control-Allow-Origin} ({@code *},
 * or the listed origin), never {@code Access-Control-Allow-Credentials} (SockJS would otherwise
 * echo any origin with credentials allowed). With a list, only those origins may frame this server's pages.
 */
final class OriginPolicy {

  private static final Logger log = LoggerFactory.getLogger(OriginPolicy.class);

  private final boolean any;
  private final Set<String> allowed;
  private final WebMetrics metrics;
  private final LogLimiter refusedLog = new LogLimiter(log, Level.INFO);

  /**
   * With a list, who may frame this server's pages: SockJS's iframe transports are pages of this server that talk to it
   * as its own origin, so a foreign page framing one would get around the list. Not put on a page that says its own.
   */
  private final String frameAncestors;

  private OriginPolicy(boolean any, Set<String> allowed, WebMetrics metrics) {
    this.any = any;
    this.allowed = allowed;
    this.metrics = metrics;
    this.frameAncestors = any ? null : "frame-ancestors 'self' " + String.join(" ", allowed);
  }

  /** From the setting: {@code *}, a comma-separated list, or a JSON array of origins such as {@code https://example.org}. */
  static OriginPolicy of(Object setting, WebMetrics metrics) {
    Set<String> origins = new LinkedHashSet<>();
    Iterable<?> items = setting instanceof JsonArray ? (JsonArray) setting : java.util.List.of(String.valueOf(setting).split(","));
    for (Object item : items) {
      String origin = String.valueOf(item).trim();
      if (!origin.isEmpty()) {
        origins.add(origin.equals("*") ? "*" : normalize(origin));
      }
    }
    if (origins.isEmpty()) {
      throw new IllegalArgumentException("web.allowedOrigins is empty: use * for any origin, or list them");
    }
    if (origins.contains("*") && origins.size() > 1) {
      throw new IllegalArgumentException("web.allowedOrigins mixes * with a list: " + setting);
    }
    return new OriginPolicy(origins.contains("*"), origins, metrics);
  }

  void handle(RoutingContext rc) {
    HttpServerRequest request = rc.request();
    String origin = request.getHeader(HttpHeaders.ORIGIN);
    boolean crossOrigin = origin != null && !sameOrigin(origin, request);
    if (crossOrigin && !any && !allowed.contains(normalize(origin))) {
      metrics.originRefused();
      refusedLog.log(() -> "Refused " + request.method() + " " + LogLimiter.clean(request.path()) + " from a page of "
        + LogLimiter.clean(origin) + " (not in web.allowedOrigins)");
      rc.response().setStatusCode(403)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .putHeader(HttpHeaders.VARY, "Origin")
        .end(new JsonObject().put("error", "origin not allowed").encode());
      return;
    }
    if (request.canUpgradeToWebSocket()) {
      // No CORS headers on a WebSocket handshake (browsers do not read them), and no handler that
      // would keep the RoutingContext alive as long as the WebSocket.
      rc.next();
      return;
    }
    String allowOrigin = crossOrigin ? (any ? "*" : origin) : null;
    // Applied when the head is written, so it also overrides what SockJS puts there.
    rc.addHeadersEndHandler(v -> {
      MultiMap headers = rc.response().headers();
      headers.remove(HttpHeaders.ACCESS_CONTROL_ALLOW_CREDENTIALS);
      if (allowOrigin == null) {
        headers.remove(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN);
      } else {
        headers.set(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, allowOrigin);
      }
      if (frameAncestors != null && headers.get("Content-Security-Policy") == null) {
        headers.set("Content-Security-Policy", frameAncestors);
      }
      String vary = headers.get(HttpHeaders.VARY);
      if (vary == null) {
        headers.set(HttpHeaders.VARY, "Origin");
      } else if (!vary.toLowerCase(Locale.ROOT).contains("origin")) {
        headers.set(HttpHeaders.VARY, vary + ", Origin");
      }
    });
    if (crossOrigin && request.method() == HttpMethod.OPTIONS && request.getHeader(HttpHeaders.ACCESS_CONTROL_REQUEST_METHOD) != null) {
      String askedHeaders = request.getHeader(HttpHeaders.ACCESS_CONTROL_REQUEST_HEADERS);
      rc.response().setStatusCode(204)
        .putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS")
        .putHeader(HttpHeaders.ACCESS_CONTROL_ALLOW_HEADERS, askedHeaders == null ? "Content-Type" : askedHeaders)
        .putHeader(HttpHeaders.ACCESS_CONTROL_MAX_AGE, "86400")
        .end();
      return;
    }
    rc.next();
  }

  /** The page is this server's own: the Origin names the host (and port) the request was sent to. */
  private static boolean sameOrigin(String origin, HttpServerRequest request) {
    int sep = origin.indexOf("://");
    String host = request.getHeader(HttpHeaders.HOST);
    if (sep < 0 || host == null) {
      return false;
    }
    String scheme = origin.substring(0, sep).toLowerCase(Locale.ROOT);
    return withoutDefaultPort(scheme, origin.substring(sep + 3)).equalsIgnoreCase(withoutDefaultPort(scheme, host));
  }

  /** {@code HTTPS://Example.org:443/} and {@code https://example.org} are the same origin. */
  static String normalize(String origin) {
    String o = origin.trim().toLowerCase(Locale.ROOT);
    while (o.endsWith("/")) {
      o = o.substring(0, o.length() - 1);
    }
    int sep = o.indexOf("://");
    if (sep < 0) {
      return o;
    }
    String scheme = o.substring(0, sep);
    return scheme + "://" + withoutDefaultPort(scheme, o.substring(sep + 3));
  }

  private static String withoutDefaultPort(String scheme, String authority) {
    String a = authority.toLowerCase(Locale.ROOT);
    if (scheme.equals("http") && a.endsWith(":80")) {
      return a.substring(0, a.length() - 3);
    }
    if (scheme.equals("https") && a.endsWith(":443")) {
      return a.substring(0, a.length() - 4);
    }
    return a;
  }
}
