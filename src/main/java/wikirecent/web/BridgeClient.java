package wikirecent.web;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import wikirecent.bus.Addresses;
import wikirecent.bus.ViewParams;

import java.util.HashSet;
import java.util.Set;

/**
 * One SockJS socket ({@link BridgeSocket}) speaking the event-bus bridge protocol ({@link Bridge}), served from this
 * node's replicas instead of the event bus: a registration on {@code views.<canonical key>} joins the
 * local fan-out of that instance (no event-bus consumer per browser; the node opens its replica if need
 * be), a request to {@code views.<view>.snapshot[?<canonical query>]} is answered from the local replica.
 * Nothing a browser sends ever reaches the event bus, so it cannot publish or send anywhere; everything
 * but those two is refused with an {@code err}.
 */
final class BridgeClient extends Client {

  private static final Logger log = LoggerFactory.getLogger(BridgeClient.class);

  private static final int MAX_ECHOED_ADDRESS = 200;
  /**
   * Instances one socket may follow (the page follows at most six). Without a cap one socket could take every live parameter
   * set of the source and the node, and keep them alive with its heartbeats.
   */
  static final int MAX_FOLLOWED = 32;
  /** How a failure to open an instance is typed in its {@code err} frame: as the event bus types a recipient's failure. */
  static final String RECIPIENT_FAILURE = "RECIPIENT_FAILURE";

  private final BridgeSocket socket;
  private final FanOut fanOut;
  private final Replicas replicas;
  private final WebMetrics metrics;
  /** Canonical keys whose snapshot this socket asked for and has not been answered: one request at a time each. */
  private final Set<String> requested = new HashSet<>();

  BridgeClient(BridgeSocket socket, FanOut fanOut, Replicas replicas, WebMetrics metrics, int queueBound) {
    super(Transport.SOCKJS);
    this.socket = socket;
    this.fanOut = fanOut;
    this.replicas = replicas;
    this.metrics = metrics;
    socket.setWriteQueueMaxSize(queueBound);
  }

  /** @param connectionClosed run when the socket closes (the connection guard's bookkeeping) */
  void start(Runnable connectionClosed) {
    fanOut.add(this);
    socket.start(this::handle, v -> {
      fanOut.remove(this);
      connectionClosed.run();
    });
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
      ViewParams params;
      try {
        params = Bridge.instanceOfAddress(addr);
      } catch (Bridge.Refused r) {
        refuse(addr, r, (String) type);
        return;
      }
      if ("register".equals(type)) {
        register(addr, params);
      } else {
        fanOut.unsubscribe(this, params.toString());
      }
    } else if ("send".equals(type)) {
      handleSend(addr, msg.getValue("replyAddress"));
    } else if ("publish".equals(type)) {
      refuse(null, Bridge.ACCESS_DENIED, "publish");
    } else {
      refuse(null, "invalid_type", "invalid");
    }
  }

  /** Follows the instance; the client asks for its snapshot itself (and gets one pushed when the replica is new). */
  private void register(String address, ViewParams params) {
    if (keys.size() >= MAX_FOLLOWED && !keys.contains(params.toString())) {
      refuse(address, "too_many_views", 429, "a socket follows at most " + MAX_FOLLOWED + " views", "register");
      return;
    }
    ViewReplica replica;
    try {
      replica = replicas.acquire(params);
    } catch (OpenFailure f) {
      fanOut.send(this, Bridge.err(address, f.code, RECIPIENT_FAILURE, f.getMessage()));
      return;
    }
    fanOut.subscribe(this, replica.key(), false);
    replicas.release(replica);
  }

  /** The one request a browser may make: an instance's snapshot, answered from the local replica. */
  private void handleSend(String address, Object replyAddress) {
    boolean validReply = replyAddress instanceof String
      && !((String) replyAddress).isEmpty()
      && ((String) replyAddress).length() <= Bridge.MAX_REPLY_ADDRESS_LENGTH;
    String reply = validReply ? (String) replyAddress : null;
    ViewParams params;
    try {
      params = Bridge.instanceOfSnapshotAddress(address);
    } catch (Bridge.Refused r) {
      refuse(reply, r, "send");
      return;
    }
    if (reply == null) {
      refuse(null, "invalid_reply_address", "send");
      return;
    }
    String key = params.toString();
    if (!requested.add(key)) {
      // Its answer is on its way: each repeat would cost the node the answer's bytes again, only to be dropped. A 503,
      // which a page takes as "ask again later" (by then it holds the answer), not as a refusal to show.
      refuse(reply, "already_asked", 503, "the snapshot of " + key + " is on its way", "send");
      return;
    }
    replicas.open(params).onComplete(ar -> {
      if (ar.failed()) {
        requested.remove(key);
        replyFailure(reply, ar.cause());
        return;
      }
      ViewReplica replica = ar.result();
      fanOut.asking(this, replica.key());
      replica.snapshot(snapshot -> {
        replicas.release(replica);
        requested.remove(key);
        if (snapshot.failed()) {
          // Like a request nobody answers yet; the client retries, or takes the snapshot pushed once the replica has one.
          fanOut.notAnswered(this, replica.key());
          replyFailure(reply, snapshot.cause());
        } else {
          BridgeSocket.Unsent answer = socket.reply(reply, snapshot.result());
          fanOut.sendSnapshot(this, answer.length(), answer.write(), snapshot.result());
        }
      });
    });
  }

  private void replyFailure(String reply, Throwable cause) {
    OpenFailure f = cause instanceof OpenFailure o ? o : new OpenFailure(503, String.valueOf(cause.getMessage()));
    fanOut.send(this, Bridge.err(reply, f.code, RECIPIENT_FAILURE, f.getMessage()));
  }

  @Override
  void ping() {
    socket.ping();
  }

  /** The instance this client followed was refused by its source: an {@code err} on its address, with the code. */
  @Override
  void ended(FanOut fanOut, String key, OpenFailure why) {
    fanOut.notice(this, Bridge.err(Addresses.view(key), why.code, RECIPIENT_FAILURE, why.getMessage()));
  }

  private void refuse(String address, Bridge.Refused why, String what) {
    refuse(address, why.type, why.code(), why.getMessage(), what);
  }

  private void refuse(String address, String reason, String what) {
    refuse(address, reason, 403, reason, what);
  }

  /** {@code what} is one of a few fixed words (it tags a meter); never text from the client. */
  private void refuse(String address, String reason, int code, String message, String what) {
    metrics.bridgeRefused(what);
    log.debug("{}: refused {} ({})", this, what, reason);
    String echo = address != null && address.length() <= MAX_ECHOED_ADDRESS ? address : null;
    fanOut.send(this, Bridge.err(echo, code, reason, message));
  }

  @Override
  Buffer frame(Encoded message) {
    return socket.frame(message);
  }

  @Override
  Future<Void> write(Encoded message, Buffer frame) {
    return socket.write(message, frame);
  }

  @Override
  boolean bundles() {
    return socket.bundles();
  }

  @Override
  Buffer frame(Bundle bundle) {
    return socket.frame(bundle);
  }

  @Override
  Future<Void> write(Bundle bundle, Buffer frame) {
    return socket.write(bundle, frame);
  }

  @Override
  Future<Void> write(Buffer bridgeMessage) {
    return socket.write(bridgeMessage);
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
