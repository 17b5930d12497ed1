package wikirecent.web;

import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import io.vertx.core.VertxException;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

import java.io.IOException;

/**
 * What the web part does with requests it cannot serve: a 4xx and at most one short log line
 * per interval for anything a client can cause (no stack trace), each counted; a 500 with its
 * stack trace (also rate-limited) only for a fault of our own.
 */
final class BadRequests {

  private static final Logger log = LoggerFactory.getLogger(BadRequests.class);

  private final WebMetrics metrics;
  private final LogLimiter clientLog = new LogLimiter(log, Level.INFO);
  private final LogLimiter serverLog = new LogLimiter(log, Level.ERROR);

  BadRequests(WebMetrics metrics) {
    this.metrics = metrics;
  }

  /**
   * Refuses, before any route looks at it, a request whose path or query does not decode (a bad {@code %}
   * escape) or that asks for a WebSocket without what the handshake needs.
   */
  void check(RoutingContext rc) {
    try {
      rc.normalizedPath();
    } catch (IllegalArgumentException e) {
      refuse(rc, 400, "path", "the path does not decode: " + e.getMessage());
      return;
    }
    try {
      rc.queryParams(); // decoded here first: a route with a path parameter decodes it while matching, and throws there
    } catch (IllegalArgumentException | HttpException e) {
      Throwable why = e.getCause() != null ? e.getCause() : e;
      refuse(rc, 400, "query", "the query does not decode: " + why.getMessage());
      return;
    }
    HttpServerRequest request = rc.request();
    if (request.canUpgradeToWebSocket()) { // as Vert.x decides it, whatever other protocols the request names
      String key = request.getHeader("Sec-WebSocket-Key");
      if (key == null || key.isBlank()) {
        refuse(rc, 400, "upgrade", "a WebSocket upgrade needs a Sec-WebSocket-Key header");
        return;
      }
      if (!"13".equals(request.getHeader("Sec-WebSocket-Version"))) {
        rc.response().putHeader("Sec-WebSocket-Version", "13");
        refuse(rc, 426, "upgrade", "this server speaks WebSocket version 13 (Sec-WebSocket-Version: 13)");
        return;
      }
    }
    rc.next();
  }

  /** The router's failure handler: every failed request ends here. */
  void failed(RoutingContext rc) {
    Throwable failure = rc.failure();
    HttpServerResponse response = rc.response();
    if (response.closed() || isConnectionGone(failure)) {
      log.debug("{} {}: the client went away ({})", rc.request().method(), LogLimiter.clean(rc.request().uri()), failure);
      return;
    }
    int status = rc.statusCode();
    if (status >= 400 && status < 500 || isClientFault(failure)) {
      int code = status >= 400 && status < 500 ? status : 400;
      String kind = failure instanceof WebSocketHandshakeException ? "upgrade" : "request";
      refuse(rc, code, kind, failure == null ? "refused" : String.valueOf(failure.getMessage()));
      if (failure != null) {
        // a body that could not be read leaves the connection in an unknown state
        rc.request().connection().close();
      }
      return;
    }
    serverLog.log(() -> "Failed to answer " + rc.request().method() + " " + LogLimiter.clean(rc.request().path()) + ": "
      + (failure == null ? "status " + status : failure + "\n" + stackTrace(failure)));
    answer(rc, status >= 500 ? status : 500, "internal error");
  }

  /** A request head Netty could not parse: Vert.x's usual answer (400, 414 or 431, then close), counted. */
  void invalidRequest(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    if (cause instanceof PrematureChannelClosureException) {
      // Half a head, then the connection closed (by the client, or by the guard's head timeout): nobody to answer.
      log.debug("A connection from {} closed in the middle of a request head", request.remoteAddress());
      return;
    }
    metrics.malformedRequest("head");
    clientLog.log(() -> "Refused an unreadable request from " + request.remoteAddress() + ": " + LogLimiter.clean(cause));
    HttpServerRequest.DEFAULT_INVALID_REQUEST_HANDLER.handle(request);
  }

  /** Faults on a connection that no request handler took (a client resetting, a broken body after the answer). */
  void connectionFailed(Throwable failure) {
    if (isConnectionGone(failure)) {
      log.debug("A client went away: {}", failure.toString());
      return;
    }
    metrics.malformedRequest("connection");
    clientLog.log(() -> "A connection failed: " + LogLimiter.clean(failure));
  }

  private void refuse(RoutingContext rc, int status, String kind, String why) {
    metrics.malformedRequest(kind);
    HttpServerRequest request = rc.request();
    clientLog.log(() -> "Answered " + status + " to " + request.method() + " " + LogLimiter.clean(request.uri())
      + " from " + request.remoteAddress() + ": " + LogLimiter.clean(why));
    answer(rc, status, why);
  }

  private static void answer(RoutingContext rc, int status, String error) {
    HttpServerResponse response = rc.response();
    if (response.headWritten()) {
      rc.request().connection().close();
      return;
    }
    response.setStatusCode(status)
      .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
      .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
      .end(new JsonObject().put("error", error).encode());
  }

  /** Things only a client's bytes cause: bad escapes and numbers, undecodable HTTP, a bad WebSocket handshake. */
  private static boolean isClientFault(Throwable t) {
    return t instanceof IllegalArgumentException
      || t instanceof DecoderException
      || t instanceof WebSocketHandshakeException;
  }

  private static boolean isConnectionGone(Throwable t) {
    return t instanceof HttpClosedException
      || t instanceof IOException
      || t instanceof VertxException && "Connection was closed".equals(t.getMessage());
  }

  private static String stackTrace(Throwable t) {
    java.io.StringWriter out = new java.io.StringWriter();
    t.printStackTrace(new java.io.PrintWriter(out));
    return out.toString();
  }
}
