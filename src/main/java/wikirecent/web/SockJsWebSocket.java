package wikirecent.web;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;

/**
 * One browser on SockJS's WebSocket transport ({@code /eventbus/<server>/<session>/websocket}), framed here
 * rather than by vertx-web's session, which escapes and frames every message once per session. Server to
 * client: {@code o} on open, {@code a[<string>,...]} messages, {@code h} heartbeats, {@code c[code,reason]}
 * before closing. Client to server: a JSON array of strings (or one string) per WebSocket message.
 */
final class SockJsWebSocket implements BridgeSocket {

  private static final Logger log = LoggerFactory.getLogger(SockJsWebSocket.class);
  static final String OPEN = "o";
  static final String HEARTBEAT = "h";
  /** What SockJS servers send when they end a session themselves. */
  static final String GO_AWAY = "c[3000,\"Go away!\"]";

  private final ServerWebSocket ws;
  private final int maxFrameSize;
  private final Consumer<SockJsWebSocket> whenClosed;
  private boolean closed;

  /** @param whenClosed the endpoint's bookkeeping, run when the socket closes */
  SockJsWebSocket(ServerWebSocket ws, int maxFrameSize, Consumer<SockJsWebSocket> whenClosed) {
    this.ws = ws;
    this.maxFrameSize = maxFrameSize;
    this.whenClosed = whenClosed;
  }

  /** The frame delivering one message: the message as the only string of an {@code a} array. */
  static String messageFrame(String message) {
    return messagesFrame(List.of(message));
  }

  /** The frame delivering several messages at once, in order. */
  static String messagesFrame(List<String> messages) {
    StringBuilder frame = new StringBuilder("a[");
    for (String m : messages) {
      if (frame.length() > 2) {
        frame.append(',');
      }
      frame.append(Json.encode(m));
    }
    return frame.append(']').toString();
  }

  @Override
  public void start(Handler<Buffer> messages, Handler<Void> closedHandler) {
    ws.textMessageHandler(text -> received(text, messages));
    ws.binaryMessageHandler(b -> broken("a binary message"));
    ws.closeHandler(v -> {
      closed = true;
      whenClosed.accept(this);
      closedHandler.handle(null);
    });
    ws.exceptionHandler(e -> log.debug("{}: {}", ws.remoteAddress(), e.toString()));
    ws.writeFinalTextFrame(OPEN);
  }

  /** A client's WebSocket message holds any number of bridge messages; broken framing ends the session. */
  private void received(String text, Handler<Buffer> messages) {
    if (text.isEmpty()) {
      return; // SockJS clients may send empty frames; they carry nothing
    }
    Object parsed;
    try {
      parsed = Json.decodeValue(text);
    } catch (DecodeException e) {
      broken("a frame that is not JSON");
      return;
    }
    if (parsed instanceof String one) {
      messages.handle(Buffer.buffer(one));
    } else if (parsed instanceof JsonArray all && all.stream().allMatch(m -> m instanceof String)) {
      for (Object m : all) {
        if (closed) {
          return;
        }
        messages.handle(Buffer.buffer((String) m));
      }
    } else {
      broken("a frame that is not an array of strings");
    }
  }

  private void broken(String what) {
    log.debug("{}: closed for sending {}", ws.remoteAddress(), what);
    ws.close((short) 1002, "broken framing");
  }

  /** Sent by {@link SockJsEndpoint} on every open socket at the heartbeat interval. */
  void heartbeat() {
    if (!closed) {
      ws.writeFinalTextFrame(HEARTBEAT);
    }
  }

  @Override
  public Buffer frame(Encoded message) {
    return message.sockJsFrame();
  }

  @Override
  public Future<Void> write(Encoded message, Buffer frame) {
    // A large message's text is not kept once its bytes exist (Encoded), and is not needed.
    return StreamClient.writeShared(ws, frame.length() <= maxFrameSize ? message.sockJsText() : null, frame, maxFrameSize);
  }

  @Override
  public boolean bundles() {
    return true;
  }

  @Override
  public Buffer frame(Bundle bundle) {
    return bundle.sockJsFrame;
  }

  @Override
  public Future<Void> write(Bundle bundle, Buffer frame) {
    return StreamClient.writeShared(ws, bundle.sockJsText, frame, maxFrameSize);
  }

  /**
   * A reply holding a snapshot: the frame of the snapshot's own delivery ({@link Encoded#sockJsFrame()}, shared by
   * every client) from where its body begins, after this reply's own head. So a large snapshot is escaped and encoded
   * once per state, not once per request.
   */
  @Override
  public Unsent reply(String replyAddress, Encoded snapshot) {
    String head = messageFrameHead(Bridge.recHead(replyAddress));
    int from = snapshot.length() + head.length() <= maxFrameSize ? -1 : snapshot.sockJsBodyFrom();
    if (from < 0) {
      return BridgeSocket.super.reply(replyAddress, snapshot); // a small one is cheaper whole, in about one frame
    }
    Buffer shared = snapshot.sockJsFrame();
    int length = head.getBytes(StandardCharsets.UTF_8).length + shared.length() - from;
    return new Unsent(length, () -> StreamClient.writeSliced(ws, head, shared, from, maxFrameSize));
  }

  /** How {@link #messageFrame} begins for a message beginning with {@code head}: {@code a["} and the head escaped. */
  static String messageFrameHead(String head) {
    String quoted = Json.encode(head);
    return "a[" + quoted.substring(0, quoted.length() - 1);
  }

  @Override
  public Future<Void> write(Buffer bridgeMessage) {
    return ws.writeTextMessage(messageFrame(bridgeMessage.toString()));
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
      ws.writeFinalTextFrame(GO_AWAY);
      ws.close();
    }
  }
}
