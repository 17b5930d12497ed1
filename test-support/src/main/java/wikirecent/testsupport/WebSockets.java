package wikirecent.testsupport;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;

import java.util.function.Consumer;

/**
 * Opening a test's WebSocket without losing its first frame. A frame read before the socket has a handler is
 * dropped, and a server that sends at once (a stream's snapshot) can beat a test thread that sets the handlers
 * after the connect future completes. Connecting from an event loop and setting them in the same turn closes
 * that gap: the socket's frames are read on that loop, after the handlers are on.
 */
public final class WebSockets {

  private WebSockets() {
  }

  /** Connects to {@code localhost:port} at {@code path}, calling {@code handlers} before any frame is read. */
  public static WebSocket open(Vertx vertx, WebSocketClient client, int port, String path, Consumer<WebSocket> handlers) {
    Promise<WebSocket> opened = Promise.promise();
    vertx.runOnContext(v -> client.connect(port, "localhost", path).onSuccess(handlers::accept).onComplete(opened));
    return Wait.on(opened.future());
  }
}
