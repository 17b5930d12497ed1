package wikirecent.web;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client on the raw WebSocket of the bridge ({@code /eventbus/websocket}): one bridge message per WebSocket message,
 * sent binary and taken text or binary, as vertx-web's raw transport has them. Served here so that a quiet one is
 * pinged: SockJS's transports have heartbeats, this one none, and a peer gone without a word is found only by writing.
 */
final class RawBridgeWebSocket implements BridgeSocket {

  private static final Logger log = LoggerFactory.getLogger(RawBridgeWebSocket.class);
  private final ServerWebSocket ws;
  private boolean closed;

  RawBridgeWebSocket(ServerWebSocket ws) {
    this.ws = ws;
  }

  @Override
  public void start(Handler<Buffer> messages, Handler<Void> closedHandler) {
    ws.textMessageHandler(text -> messages.handle(Buffer.buffer(text)));
    ws.binaryMessageHandler(messages);
    ws.closeHandler(v -> {
      closed = true;
      closedHandler.handle(null);
    });
    ws.exceptionHandler(e -> log.debug("{}: {}", ws.remoteAddress(), e.toString()));
  }

  @Override
  public Buffer frame(Encoded message) {
    return message.envelope();
  }

  @Override
  public Future<Void> write(Encoded message, Buffer frame) {
    return ws.writeBinaryMessage(frame);
  }

  @Override
  public Future<Void> write(Buffer bridgeMessage) {
    return ws.writeBinaryMessage(bridgeMessage);
  }

  @Override
  public void ping() {
    if (!closed && !ws.isClosed()) {
      ws.writePing(Buffer.buffer());
    }
  }

  @Override
  public void setWriteQueueMaxSize(int bytes) {
    ws.setWriteQueueMaxSize(bytes);
  }

  @Override
  public boolean writeQueueFull() {
    return ws.writeQueueFull();
  }

  @Override
  public SocketAddress remoteAddress() {
    return ws.remoteAddress();
  }

  @Override
  public void close() {
    if (!closed) {
      ws.close();
    }
  }
}
