package wikirecent.web;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Local fan-out of view messages to this node's sockets, with a memory bound per client. Clients follow
 * view instances by canonical key ({@code top10}, {@code top10?window=1h}); a message goes to the
 * followers of its key.
 * <p>
 * Every write is counted in {@link Client#queuedBytes} until the transport reports it handed
 * to the network. A client whose queue would pass {@code queueBound} stops getting batches
 * (they are counted as dropped); once its queue is empty again it gets a fresh snapshot of each
 * view it follows and resumes, so it converges instead of silently missing changes. So the
 * server holds at most about {@code queueBound} (or one message, if larger) per client.
 * <p>
 * The transports' own queue checks are not enough: a SockJS session hands every frame straight
 * to its WebSocket, so its {@code writeQueueFull()} stays false while Netty buffers grow.
 */
final class FanOut {

  private static final Logger log = LoggerFactory.getLogger(FanOut.class);
  // Clients decide how often these happen: each kind is at most one line per interval.
  private final LogLimiter stallLog = new LogLimiter(log, Level.INFO);
  private final LogLimiter leftLog = new LogLimiter(log, Level.INFO);
  private final LogLimiter stuckLog = new LogLimiter(log, Level.WARN);
  /** From this many followers of a view, or subscriptions over all views, a node's round of writes takes milliseconds. */
  static final int CROWD = 100;
  /** Subscriptions of all clients to all instances on this node. */
  private int subscriptions;

  private final long queueBound;
  private final WebMetrics metrics;
  private final Function<String, Encoded> snapshots;
  private final Set<Client> clients = new LinkedHashSet<>();
  private final Map<String, Set<Client>> subscribers = new HashMap<>();
  private Consumer<String> lastLeft = key -> { };
  private long maxQueuedBytes;

  /**
   * @param snapshots the current snapshot of an instance by key, or null while its replica has none
   */
  FanOut(long queueBound, WebMetrics metrics, Function<String, Encoded> snapshots) {
    this.queueBound = queueBound;
    this.metrics = metrics;
    this.snapshots = snapshots;
  }

  /** Told the key whenever the last follower of an instance on this node leaves (its replica may linger, then go). */
  void onLastLeft(Consumer<String> lastLeft) {
    this.lastLeft = lastLeft;
  }

  void add(Client client) {
    clients.add(client);
    log.debug("{} connected", client);
  }

  void remove(Client client) {
    if (clients.remove(client)) {
      client.closed = true;
      for (String key : client.keys) {
        leave(key, client);
      }
      if (client.framesDropped > 0) {
        leftLog.log(() -> client + " left; " + client.framesDropped + " frames were dropped for it while its queue was full"
          + " (it stalled " + client.stalls + (client.stalls == 1 ? " time)" : " times)"));
      } else {
        log.debug("{} left", client);
      }
    }
  }

  /**
   * Starts sending a client the batches of an instance. With {@code withSnapshot} it first gets the
   * current snapshot (if the replica has none yet, it gets one as soon as the replica does).
   */
  void subscribe(Client client, String key, boolean withSnapshot) {
    if (client.closed || !client.keys.add(key)) {
      return;
    }
    if (subscribers.computeIfAbsent(key, v -> new LinkedHashSet<>()).add(client)) {
      subscriptions++;
    }
    Encoded snapshot = snapshots.apply(key);
    if (withSnapshot && snapshot != null) {
      send(client, snapshot);
    }
  }

  void unsubscribe(Client client, String key) {
    if (client.keys.remove(key)) {
      leave(key, client);
    }
  }

  private void leave(String key, Client client) {
    Set<Client> followers = subscribers.get(key);
    if (followers == null || !followers.remove(client)) {
      return;
    }
    subscriptions--;
    if (followers.isEmpty()) {
      subscribers.remove(key);
      lastLeft.accept(key);
    }
  }

  /** Followers of an instance on this node. */
  int followers(String key) {
    return subscribers.getOrDefault(key, Set.of()).size();
  }

  /** The instance ended (its source refused it): every follower is told, and follows it no more. */
  void end(String key, OpenFailure why) {
    Set<Client> followers = subscribers.remove(key);
    if (followers == null) {
      return;
    }
    for (Client c : followers) {
      c.keys.remove(key);
      if (!c.closed) {
        c.ended(this, key, why);
      }
    }
  }

  /** A batch the replica applied: the same frame to every subscriber of its transport. */
  void batch(Encoded batch) {
    for (Client c : subscribers.getOrDefault(batch.key, Set.of())) {
      send(c, batch);
    }
  }

  /**
   * Whether a round of writes is long enough (many sockets) that batches of this view arriving
   * meanwhile are better merged than sent one by one; see {@link ViewReplica}. By followers, not by
   * timing: many of this view, or many subscriptions over all views (100 sets of 10 clients each take
   * the loop as long as one set of 1,000). A node with a small audience sends every batch as it came.
   */
  boolean crowded(String key) {
    return subscriptions >= CROWD || subscribers.getOrDefault(key, Set.of()).size() >= CROWD;
  }

  /**
   * The replica was (re)built from a snapshot: every subscriber starts over from it. The
   * snapshot is only built (sorted, serialized) when the view has subscribers here.
   */
  void snapshotToAll(String key, Supplier<Encoded> snapshots, String reason) {
    Set<Client> followers = subscribers.getOrDefault(key, Set.of());
    if (followers.isEmpty()) {
      return;
    }
    Encoded snapshot = snapshots.get();
    for (Client c : followers) {
      if (send(c, snapshot)) {
        metrics.snapshotResent(reason);
      }
    }
  }

  /**
   * Writes a frame unless the client is stalled or the frame would take its queue past the
   * bound; then the client stalls (see the class comment). An empty queue always takes one
   * frame, so a message larger than the bound still gets through. Returns whether it was written.
   */
  boolean send(Client client, Buffer frame) {
    return send(client, frame, null);
  }

  /** A view message, in the frame of the client's transport. */
  boolean send(Client client, Encoded message) {
    return send(client, client.frame(message), message);
  }

  private boolean send(Client client, Buffer frame, Encoded message) {
    if (client.closed) {
      return false;
    }
    int length = frame.length();
    if (!client.stalled && client.queuedBytes > 0
      && (client.queuedBytes + length > queueBound || client.transportFull())) {
      client.stalled = true;
      client.stalledSinceMillis = System.currentTimeMillis();
      client.stalls++;
      if (client.stalls == 1) {
        stallLog.log(() -> client + " is not keeping up (" + client.queuedBytes + " bytes queued): dropping its batches until it drains");
      } else {
        log.debug("{} is not keeping up again ({} bytes queued)", client, client.queuedBytes);
      }
    }
    if (client.stalled) {
      client.framesDropped++;
      metrics.frameDropped(client.transport);
      return false;
    }
    client.queuedBytes += length;
    client.maxQueuedBytes = Math.max(client.maxQueuedBytes, client.queuedBytes);
    maxQueuedBytes = Math.max(maxQueuedBytes, client.queuedBytes);
    metrics.frameSent(client.transport);
    Future<Void> write = message == null ? client.write(frame) : client.write(message, frame);
    write.onComplete(ar -> written(client, length));
    return true;
  }

  private void written(Client client, int length) {
    client.queuedBytes -= length;
    if (client.stalled && client.queuedBytes == 0 && !client.closed) {
      client.stalled = false;
      log.debug("{} drained after {} ms; sending it fresh snapshots", client, System.currentTimeMillis() - client.stalledSinceMillis);
      for (String key : client.keys) {
        Encoded snapshot = snapshots.apply(key);
        if (snapshot != null && send(client, snapshot)) {
          metrics.snapshotResent("drained");
        }
      }
    }
  }

  /** Disconnects clients whose queue has stayed full for longer than {@code stuckMillis}. */
  void closeStuck(long nowMillis, long stuckMillis) {
    List<Client> stuck = new ArrayList<>();
    for (Client c : clients) {
      if (c.stalled && nowMillis - c.stalledSinceMillis >= stuckMillis) {
        stuck.add(c);
      }
    }
    for (Client c : stuck) {
      long stuckFor = nowMillis - c.stalledSinceMillis;
      stuckLog.log(() -> c + " has not read anything for " + stuckFor + " ms (" + c.queuedBytes + " bytes queued, "
        + c.framesDropped + " frames dropped): closing it");
      metrics.stuckClientClosed(c.transport);
      remove(c);
      c.close();
    }
  }

  int clientCount(Client.Transport transport) {
    int n = 0;
    for (Client c : clients) {
      if (c.transport == transport) {
        n++;
      }
    }
    return n;
  }

  long queuedBytes() {
    long n = 0;
    for (Client c : clients) {
      n += c.queuedBytes;
    }
    return n;
  }

  int stalledCount() {
    int n = 0;
    for (Client c : clients) {
      if (c.stalled) {
        n++;
      }
    }
    return n;
  }

  /** The most any one client ever had queued: stays near {@code queueBound} however slow a client is. */
  long maxQueuedBytes() {
    return maxQueuedBytes;
  }

  long queueBound() {
    return queueBound;
  }

  /** A snapshot of the connected clients, for tests and logs. */
  List<Client> clients() {
    return new ArrayList<>(clients);
  }
}
