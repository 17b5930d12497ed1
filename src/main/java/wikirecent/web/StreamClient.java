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

  /**
   * A WebSocket ping: a stream of a quiet instance may get no frame for hours, and a peer gone without a word (a
   * half-open connection) is found only by writing to it; TCP then gives up on it and the socket closes.
   */
  @Override
  void ping() {
    if (!closed && !ws.isClosed()) {
      ws.writePing(Buffer.buffer());
    }
  }

  /** The message's UTF-8 bytes, made once per message: what the queue bound counts. */
  @Override
  Buffer frame(Encoded message) {
    return message.text();
  }

  @Override
  Future<Void> write(Encoded message, Buffer utf8) {
    return writeShared(ws, message.json, utf8, maxFrameSize);
  }

  /**
   * Writes a message every socket shares: {@code utf8}, its UTF-8 bytes, and {@code text}, the same text (needed only
   * if it fits a frame; may be null otherwise). A message that fits a frame goes as one text frame, encoded from the
   * text for each socket (Vert.x makes text frames only from a String, and Netty moves a frame's read index as it
   * writes it, so a frame cannot go to several sockets). A longer one (a snapshot) goes as a text frame of its first
   * character, then continuation frames over slices of the shared bytes, so it is neither encoded nor copied per
   * socket. (Not an empty first frame: Vert.x's own client cannot add the continuations to one.)
   */
  static Future<Void> writeShared(ServerWebSocket ws, String text, Buffer utf8, int maxFrameSize) {
    if (utf8.length() <= maxFrameSize) {
      return ws.writeFrame(WebSocketFrame.textFrame(text, true));
    }
    byte first = utf8.getByte(0);
    if (first < 0) {
      return ws.writeTextMessage(utf8.toString(StandardCharsets.UTF_8)); // never for JSON or SockJS frames, which open with ASCII
    }
    return writeSliced(ws, String.valueOf((char) first), utf8, 1, maxFrameSize);
  }

  /**
   * Writes one text message: {@code head} (not empty) in a text frame, then the bytes of {@code shared} from
   * {@code from} on in continuation frames over slices of it, none copied.
   */
  static Future<Void> writeSliced(ServerWebSocket ws, String head, Buffer shared, int from, int maxFrameSize) {
    int length = shared.length();
    Future<Void> last = ws.writeFrame(WebSocketFrame.textFrame(head, from == length));
    for (int at = from; at < length; at += maxFrameSize) {
      int to = Math.min(length, at + maxFrameSize);
      last = ws.writeFrame(WebSocketFrame.continuationFrame(shared.slice(at, to), to == length));
    }
    return last;
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
