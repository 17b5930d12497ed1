package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Keeps the number of open connections bounded and frees the ones that hold a socket without
 * using it. A new connection over {@code max} is closed at once. A connection must send a
 * complete request head within the head timeout of connecting (and a request's body within as
 * long of its head), and its next one within the idle timeout of its last response; otherwise it
 * is closed. A connection whose request has come and waits for its answer, or turned into a
 * WebSocket (a stream, SockJS), is never timed out here: its transport decides.
 * <p>
 * A connection upgraded to a WebSocket no longer reports its own close (Vert.x hands the socket
 * to the WebSocket), so whoever takes the WebSocket calls {@link #upgraded} and runs what it
 * returns when the WebSocket closes. Everything runs on the web verticle's event loop.
 */
final class ConnectionGuard {

  private static final Logger log = LoggerFactory.getLogger(ConnectionGuard.class);
  /** File descriptors left for everything that is not a client connection (the data file, jars, the bus, Hazelcast). */
  private static final int MIN_FD_RESERVE = 200;

  private final Vertx vertx;
  private final WebMetrics metrics;
  private final int max;
  private final long headTimeoutMillis;
  private final long idleTimeoutMillis;
  private final Map<HttpConnection, Conn> open = new HashMap<>();
  private final LogLimiter refusedLog = new LogLimiter(log, Level.WARN);
  private final LogLimiter timedOutLog = new LogLimiter(log, Level.INFO);

  /** One open connection. */
  private static final class Conn {
    final HttpConnection connection;
    long timer = -1;
    int requests;
    boolean upgrading;
    boolean streaming;

    Conn(HttpConnection connection) {
      this.connection = connection;
    }
  }

  /** @param max at most this many open connections; 0 or less: {@link #automaticMax()} */
  ConnectionGuard(Vertx vertx, WebMetrics metrics, int max, long headTimeoutMillis, long idleTimeoutMillis) {
    this.vertx = vertx;
    this.metrics = metrics;
    this.max = max > 0 ? max : automaticMax();
    this.headTimeoutMillis = headTimeoutMillis;
    this.idleTimeoutMillis = idleTimeoutMillis;
  }

  /**
   * The process's open-file limit less a reserve (a quarter, at least {@link #MIN_FD_RESERVE}):
   * what the rest of the process needs, and room for connections the acceptor takes faster than
   * the event loop can refuse them (each holds a descriptor until it is closed).
   */
  static int automaticMax() {
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      long fds = unix.getMaxFileDescriptorCount();
      long reserve = Math.max(MIN_FD_RESERVE, fds / 4);
      return (int) Math.max(16, Math.min(Integer.MAX_VALUE, fds - reserve));
    }
    return 10_000;
  }

  int max() {
    return max;
  }

  int openCount() {
    return open.size();
  }

  /** The server's connection handler. */
  void connected(HttpConnection connection) {
    if (open.size() >= max) {
      metrics.connectionRefused();
      refusedLog.log(() -> "Refused a connection from " + connection.remoteAddress() + ": " + max
        + " connections are open (web.maxConnections)");
      connection.close();
      return;
    }
    Conn conn = new Conn(connection);
    open.put(connection, conn);
    connection.closeHandler(v -> closed(connection));
    waitForRequest(conn, headTimeoutMillis, "request_head");
  }

  /** The first handler of every request: the connection is busy until the answer ends. */
  void requestStarted(RoutingContext rc) {
    HttpServerRequest request = rc.request();
    Conn conn = open.get(request.connection());
    if (conn != null) {
      cancelTimer(conn);
      conn.requests++;
      // Vert.x's own test (a GET whose Upgrade lines name websocket among any others), not the header alone: any
      // other would miss some upgrades, whose connections would then stay counted for good.
      conn.upgrading = request.canUpgradeToWebSocket();
      if (conn.upgrading) {
        // A WebSocket keeps its request's response for as long as it lives: a handler added through the
        // RoutingContext would keep the whole context too (about 1 KB per stream). This one holds only conn.
        request.response().endHandler(v -> requestEnded(conn));
      } else {
        rc.addEndHandler(ar -> requestEnded(conn));
        if (!request.isEnded()) {
          waitForBody(conn, request);
        }
      }
    }
    rc.next();
  }

  /** A body must come within the head timeout too: one sent a byte a minute would hold the connection for good. */
  private void waitForBody(Conn conn, HttpServerRequest request) {
    closeAfter(conn, headTimeoutMillis, "request_body", () -> !request.isEnded(),
      "its request body did not come within " + headTimeoutMillis + " ms (web.requestHeadTimeoutSeconds)");
  }

  /** Not called for a request that became a WebSocket: that one never ends as an HTTP request. */
  private void requestEnded(Conn conn) {
    conn.requests--;
    conn.upgrading = false;
    if (conn.requests == 0 && !conn.streaming && open.get(conn.connection) == conn) {
      cancelTimer(conn); // a body deadline, if the answer came first
      waitForRequest(conn, idleTimeoutMillis, "idle");
    }
  }

  /**
   * The request on {@code connection} became a WebSocket: it is a stream now, never timed out
   * here. Returns what to run when the WebSocket closes (nothing to do if the connection was not
   * upgrading, e.g. a SockJS session over XHR).
   */
  Runnable upgraded(HttpConnection connection) {
    Conn conn = open.get(connection);
    if (conn == null || !conn.upgrading) {
      return () -> { };
    }
    conn.streaming = true;
    cancelTimer(conn);
    return () -> closed(connection);
  }

  private void closed(HttpConnection connection) {
    Conn conn = open.remove(connection);
    if (conn != null) {
      cancelTimer(conn);
    }
  }

  private void waitForRequest(Conn conn, long millis, String reason) {
    closeAfter(conn, millis, reason, () -> conn.requests == 0 && !conn.streaming, reason.equals("idle")
      ? "idle for " + millis + " ms (web.idleTimeoutSeconds)"
      : "no complete request within " + millis + " ms of connecting (web.requestHeadTimeoutSeconds)");
  }

  /** In {@code millis}, closes the connection (counted under {@code reason}) if it is still open and {@code still} holds. */
  private void closeAfter(Conn conn, long millis, String reason, BooleanSupplier still, String why) {
    conn.timer = vertx.setTimer(millis, t -> {
      conn.timer = -1;
      if (open.get(conn.connection) == conn && still.getAsBoolean()) {
        metrics.connectionTimedOut(reason);
        timedOutLog.log(() -> "Closed a connection from " + conn.connection.remoteAddress() + ": " + why);
        conn.connection.close();
      }
    });
  }

  private void cancelTimer(Conn conn) {
    if (conn.timer != -1) {
      vertx.cancelTimer(conn.timer);
      conn.timer = -1;
    }
  }
}
