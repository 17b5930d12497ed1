package wikirecent.web;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import org.slf4j.LoggerFactory;

import java.util.function.Supplier;

/**
 * What a {@link BridgeClient} talks through: a SockJS session of vertx-web (its fallback transports), SockJS's
 * WebSocket transport served here ({@link SockJsWebSocket}), where a view message's frame is encoded once for every
 * client, or the bridge's raw WebSocket ({@link RawBridgeWebSocket}).
 */
interface BridgeSocket {

  /** {@code messages} gets each bridge message the client sends; {@code closed} runs once when the socket closes. */
  void start(Handler<Buffer> messages, Handler<Void> closed);

  /** The bytes a view message goes out as on this transport, shared by its clients (what the queue bound counts). */
  Buffer frame(Encoded message);

  /** Writes a view message whose frame is {@code frame}. */
  Future<Void> write(Encoded message, Buffer frame);

  /** Whether several view messages go out in one frame ({@link Bundle}); only SockJS's WebSocket transport served here. */
  default boolean bundles() {
    return false;
  }

  /** The frame of a bundle, shared by its clients (only if {@link #bundles()}). */
  default Buffer frame(Bundle bundle) {
    throw new UnsupportedOperationException("this transport sends one message per frame");
  }

  /** Writes a bundle whose frame is {@code frame} (only if {@link #bundles()}). */
  default Future<Void> write(Bundle bundle, Buffer frame) {
    throw new UnsupportedOperationException("this transport sends one message per frame");
  }

  /** Writes one bridge message of this client alone (a reply, a refusal). */
  Future<Void> write(Buffer bridgeMessage);

  /** A frame made for one client and not written yet: its length (what the queue bound counts) and how to write it. */
  record Unsent(int length, Supplier<Future<Void>> write) {
  }

  /** The reply to a snapshot request with reply address {@code replyAddress}: made and written for this client alone. */
  default Unsent reply(String replyAddress, Encoded snapshot) {
    // Made only if admitted: a copy of a large view's snapshot per reply, for a client that would not take it, cost
    // the event loop for nothing. Its UTF-8 length, what the bound counts, from its parts (the body's bytes are made
    // once per state, with the snapshot).
    return new Unsent(Bridge.recLength(replyAddress, snapshot.text().length()), () -> write(Bridge.rec(replyAddress, snapshot.json)));
  }

  /** Asks a quiet peer for a sign of life, where the transport has no heartbeat of its own. */
  default void ping() {
  }

  void setWriteQueueMaxSize(int bytes);

  boolean writeQueueFull();

  SocketAddress remoteAddress();

  void close();

  /** A vertx-web SockJS session: it frames and escapes every message itself, per session. */
  static BridgeSocket of(SockJSSocket socket) {
    return new BridgeSocket() {
      @Override
      public void start(Handler<Buffer> messages, Handler<Void> closed) {
        socket.handler(messages);
        socket.closeHandler(closed);
        socket.exceptionHandler(e -> LoggerFactory.getLogger(BridgeClient.class).debug("{}: {}", socket.remoteAddress(), e.toString()));
      }

      @Override
      public Buffer frame(Encoded message) {
        return message.envelope();
      }

      @Override
      public Future<Void> write(Encoded message, Buffer frame) {
        return socket.write(frame);
      }

      @Override
      public Future<Void> write(Buffer bridgeMessage) {
        return socket.write(bridgeMessage);
      }

      @Override
      public void setWriteQueueMaxSize(int bytes) {
        socket.setWriteQueueMaxSize(bytes);
      }

      @Override
      public boolean writeQueueFull() {
        return socket.writeQueueFull();
      }

      @Override
      public SocketAddress remoteAddress() {
        return socket.remoteAddress();
      }

      @Override
      public void close() {
        socket.close();
      }
    };
  }
}
