package wikirecent.web;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.net.SocketAddress;

import java.nio.charset.StandardCharsets;

/**
 * A raw WebSocket on {@code /api/stream/<view>?<params>}: the snapshot, then every batch of that one
 * instance, one JSON text frame each. What the client sends is ignored.
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

  /** The message's UTF-8 bytes, made once per message: what the queue bound counts. */
  @Override
  Buffer frame(Encoded message) {
    return message.text();
  }

  @Override
  Future<Void> write(Encoded message, Buffer utf8) {
    return writeShared(ws, message.json, utf8.length(), maxFrameSize);
  }

  /**
   * Writes a text every socket of a message shares ({@code bytes} long in UTF-8). Each socket gets a frame of
   * its own, encoded from the text: Netty releases a frame's bytes and moves their read index as it writes
   * them, so one frame cannot go to several sockets. A text longer than a frame is split into continuation
   * frames by {@code writeTextMessage}.
   */
  static Future<Void> writeShared(ServerWebSocket ws, String text, int bytes, int maxFrameSize) {
    if (bytes <= maxFrameSize) {
      return ws.writeFrame(WebSocketFrame.textFrame(text, true));
    }
    return ws.writeTextMessage(text);
  }

  @Override
  Future<Void> write(Buffer utf8) {
    return ws.writeTextMessage(utf8.toString(StandardCharsets.UTF_8));
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

  /**
   * The stream's one instance ended: the socket is closed with status 4000 + the HTTP status (4429, 4501,
   * 4400) and the message as its reason, cut to what a close frame holds.
   */
  @Override
  void ended(FanOut fanOut, String key, OpenFailure why) {
    ws.close((short) (4000 + why.code), closeReason(why.getMessage()));
  }

  /** A close frame's reason is at most 123 bytes of UTF-8. */
  static String closeReason(String message) {
    String s = String.valueOf(message);
    if (s.getBytes(StandardCharsets.UTF_8).length <= 123) {
      return s;
    }
    int end = Math.min(s.length(), 120);
    while (s.substring(0, end).getBytes(StandardCharsets.UTF_8).length > 120 || Character.isHighSurrogate(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(0, end) + "...";
  }
}
