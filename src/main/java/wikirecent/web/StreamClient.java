package wikirecent.web;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.http.impl.ws.WebSocketFrameImpl;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.net.SocketAddress;

/**
 * A raw WebSocket on {@code /api/stream/<view>}: the snapshot, then every batch, one JSON text
 * frame each. What the client sends is ignored.
 */
final class StreamClient extends Client {

  private final ServerWebSocket ws;
  private final int maxFrameSize;

  StreamClient(ServerWebSocket ws, int maxFrameSize, int queueBound) {
    super(Transport.WEBSOCKET);
    this.ws = ws;
    this.maxFrameSize = maxFrameSize;
    ws.setWriteQueueMaxSize(queueBound);
  }

  @Override
  Buffer frame(Encoded message) {
    return message.text();
  }

  /**
   * The public API writes text frames from a String only, encoding it again for every client;
   * this writes slices of the one shared UTF-8 Buffer instead (split into continuation frames
   * past the frame size, as {@code writeTextMessage} does).
   */
  @Override
  Future<Void> write(Buffer utf8) {
    int length = utf8.length();
    if (length <= maxFrameSize) {
      return ws.writeFrame(textFrame(utf8, true));
    }
    Future<Void> last = null;
    for (int from = 0; from < length; from += maxFrameSize) {
      int to = Math.min(length, from + maxFrameSize);
      Buffer slice = utf8.slice(from, to);
      boolean isFinal = to == length;
      last = ws.writeFrame(from == 0 ? textFrame(slice, isFinal) : WebSocketFrame.continuationFrame(slice, isFinal));
    }
    return last;
  }

  private static WebSocketFrame textFrame(Buffer utf8, boolean isFinal) {
    return new WebSocketFrameImpl(WebSocketFrameType.TEXT, ((BufferInternal) utf8).getByteBuf(), isFinal);
  }

  @Override
  boolean transportFull() {
    return ws.writeQueueFull();
  }

  @Override
  SocketAddress remoteAddress() {
    return ws.remoteAddress();
  }

  @Override
  void close() {
    ws.close();
  }
}
