package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.ext.web.RoutingContext;

import java.util.HashSet;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Serves SockJS's WebSocket transport, {@code GET /eventbus/<server>/<session>/websocket}, the one every browser
 * with WebSockets uses, and the bridge's raw WebSocket, {@code GET /eventbus/websocket}; anything else under
 * {@code /eventbus} (info, the XHR and iframe fallbacks) goes on to vertx-web's SockJS handler. One heartbeat timer
 * for all its SockJS sockets.
 */
final class SockJsEndpoint {

  /** As SockJS servers do by default: often enough for proxies that cut idle connections at 30 s or more. */
  static final long HEARTBEAT_MILLIS = 25_000;

  private final Vertx vertx;
  private final int maxFrameSize;
  private final BiConsumer<BridgeSocket, HttpConnection> accepted;
  private final Set<SockJsWebSocket> open = new HashSet<>();
  private final long timer;

  /** @param accepted gets each new socket and the connection it came on (on this event loop) */
  SockJsEndpoint(Vertx vertx, int maxFrameSize, long heartbeatMillis, BiConsumer<BridgeSocket, HttpConnection> accepted) {
    this.vertx = vertx;
    this.maxFrameSize = maxFrameSize;
    this.accepted = accepted;
    this.timer = vertx.setPeriodic(heartbeatMillis, t -> open.forEach(SockJsWebSocket::heartbeat));
  }

  void handle(RoutingContext rc) {
    // SockJS names may be anything but empty or dotted; a request that is not an upgrade gets vertx-web's answer.
    String server = rc.pathParam("server");
    String session = rc.pathParam("session");
    if (server == null || session == null || server.isEmpty() || session.isEmpty() || server.contains(".")
      || session.contains(".") || !rc.request().canUpgradeToWebSocket()) {
      rc.next();
      return;
    }
    rc.request().toWebSocket()
      .onFailure(e -> rc.fail(400, e))
      .onSuccess(ws -> {
        SockJsWebSocket socket = new SockJsWebSocket(ws, maxFrameSize, open::remove);
        open.add(socket);
        accepted.accept(socket, rc.request().connection());
      });
  }

  /** The raw WebSocket: bridge messages with no SockJS framing; pinged when quiet ({@link RawBridgeWebSocket}). */
  void handleRaw(RoutingContext rc) {
    if (!rc.request().canUpgradeToWebSocket()) {
      rc.next(); // vertx-web's answer to a request that is not an upgrade
      return;
    }
    rc.request().toWebSocket()
      .onFailure(e -> rc.fail(400, e))
      .onSuccess(ws -> accepted.accept(new RawBridgeWebSocket(ws), rc.request().connection()));
  }

  void close() {
    vertx.cancelTimer(timer);
  }
}
