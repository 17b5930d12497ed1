package wikirecent.web;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Function;

/**
 * One SockJS socket speaking the event-bus bridge protocol ({@link Bridge}), served from this
 * node's replicas instead of the event bus: a registration on {@code views.<view>} joins the
 * local fan-out (no event-bus consumer per browser), a request to {@code views.<view>.snapshot}
 * is answered from the local replica. Nothing a browser sends ever reaches the event bus, so it
 * cannot publish or send anywhere; everything but those two is refused with an {@code err}.
 */
final class BridgeClient extends Client {

  private static final Logger log = LoggerFactory.getLogger(BridgeClient.class);

  private static final int MAX_ECHOED_ADDRESS = 200;

  private final SockJSSocket socket;
  private final FanOut fanOut;
  private final Function<String, Encoded> snapshots;
  private final WebMetrics metrics;

  BridgeClient(SockJSSocket socket, FanOut fanOut, Function<String, Encoded> snapshots, WebMetrics metrics, int queueBound) {
    super(Transport.SOCKJS);
    this.socket = socket;
    this.fanOut = fanOut;
    this.snapshots = snapshots;
    this.metrics = metrics;
    socket.setWriteQueueMaxSize(queueBound);
  }

  /** @param connectionClosed run when the socket closes (the connection guard's bookkeeping) */
  void start(Runnable connectionClosed) {
    fanOut.add(this);
    socket.handler(this::handle);
    socket.closeHandler(v -> {
      fanOut.remove(this);
      connectionClosed.run();
    });
    socket.exceptionHandler(e -> log.debug("{}: {}", this, e.toString()));
  }

  private void handle(Buffer data) {
    JsonObject msg;
    try {
      msg = new JsonObject(data);
    } catch (DecodeException | ClassCastException e) {
      refuse(null, "invalid_json", "invalid");
      return;
    }
    Object type = msg.getValue("type");
    Object address = msg.getValue("address");
    if ("ping".equals(type)) {
      return; // SockJS heartbeats keep the socket alive; nothing to do
    }
    if (!(address instanceof String)) {
      refuse(null, "missing_address", "invalid");
      return;
    }
    String addr = (String) address;
    if ("register".equals(type) || "unregister".equals(type)) {
      String view = Bridge.viewOfAddress(addr);
      if (view == null) {
        refuse(addr, Bridge.ACCESS_DENIED, (String) type);
      } else if ("register".equals(type)) {
        fanOut.subscribe(this, view, false); // the client asks for its snapshot itself
      } else {
        fanOut.unsubscribe(this, view);
      }
    } else if ("send".equals(type)) {
      handleSend(addr, msg.getValue("replyAddress"));
    } else if ("publish".equals(type)) {
      refuse(null, Bridge.ACCESS_DENIED, "publish");
    } else {
      refuse(null, "invalid_type", "invalid");
    }
  }

  /** The one request a browser may make: a view's snapshot, answered from the local replica. */
  private void handleSend(String address, Object replyAddress) {
    String view = Bridge.viewOfSnapshotAddress(address);
    boolean validReply = replyAddress instanceof String
      && !((String) replyAddress).isEmpty()
      && ((String) replyAddress).length() <= Bridge.MAX_REPLY_ADDRESS_LENGTH;
    String reply = validReply ? (String) replyAddress : null;
    if (view == null) {
      refuse(reply, Bridge.ACCESS_DENIED, "send");
      return;
    }
    if (reply == null) {
      refuse(null, "invalid_reply_address", "send");
      return;
    }
    Encoded snapshot = snapshots.apply(view);
    if (snapshot == null) {
      // Like a request nobody answers yet; the client retries, or takes the snapshot pushed once the replica has one.
      fanOut.send(this, Bridge.err(reply, 503, "RECIPIENT_FAILURE", "no snapshot of " + view + " yet"));
    } else {
      fanOut.send(this, Bridge.rec(reply, snapshot.json));
    }
  }

  /** {@code what} is one of a few fixed words (it tags a meter); never text from the client. */
  private void refuse(String address, String reason, String what) {
    metrics.bridgeRefused(what);
    log.debug("{}: refused {} ({})", this, what, reason);
    String echo = address != null && address.length() <= MAX_ECHOED_ADDRESS ? address : null;
    fanOut.send(this, Bridge.err(echo, 403, reason, reason));
  }

  @Override
  Buffer frame(Encoded message) {
    return message.envelope();
  }

  @Override
  Future<Void> write(Buffer frame) {
    return socket.write(frame);
  }

  @Override
  boolean transportFull() {
    return socket.writeQueueFull();
  }

  @Override
  SocketAddress remoteAddress() {
    return socket.remoteAddress();
  }

  @Override
  void close() {
    socket.close();
  }
}
