package wikirecent.web;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * Local fan-out of view messages to this node's sockets, with a memory bound per client. Clients follow
 * view instances by canonical key ({@code top10}, {@code top10?window=1h}); a message goes to the
 * followers of its key.
 * <p>
 * Every write is counted in {@link Client#queuedBytes} until the transport reports it handed
 * to the network. A client whose queue would pass {@code queueBound} stops getting batches
 * (they are counted as dropped); once its queue is empty again it gets a fresh snapshot of each
 * view it follows and resumes, so it converges instead of silently missing changes. One snapshot
 * per instance in flight (with its since) is not counted against the bound, whatever is queued before it: its bytes
 * are shared with
 * every client sent that state, and a client joining a view whose snapshot is larger than the bound
 * would otherwise stall at the first batch (or have the snapshot it asked for dropped behind a batch)
 * and be sent the snapshot again and again. So the server holds at most about
 * {@code queueBound} (or one message, if larger) plus a snapshot and its since per instance, per client.
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
  /** Stands for every instance a client does not follow among the snapshots in flight to it: no key is empty. */
  private static final String NOT_FOLLOWED = "";
  /** Subscriptions of all clients to all instances on this node. */
  private int subscriptions;

  private final long queueBound;
  private final WebMetrics metrics;
  private final Function<String, Encoded> snapshots;
  private final ToLongFunction<String> timestamps;
  private final Consumer<Runnable> later;
  /** Crowded instances with batches not yet sent to every follower, by key: what the walk sends. */
  private final Map<String, PendingBatches> pending = new HashMap<>();
  /** The walk's round: the clients to visit, in order, and the next one; null between rounds. */
  private List<Client> order;
  private int next;
  private boolean walkScheduled;
  /** Bundles made in this round, by the messages they hold: sessions lacking the same messages share one. */
  private final Map<List<Encoded>, Bundle> bundles = new HashMap<>();
  private final Set<Client> clients = new LinkedHashSet<>();
  private final Map<String, Set<Client>> subscribers = new HashMap<>();
  private Consumer<String> lastLeft = key -> { };
  private long maxQueuedBytes;

  /**
   * @param snapshots the current snapshot of an instance by key, or null while its replica has none
   */
  FanOut(long queueBound, WebMetrics metrics, Function<String, Encoded> snapshots) {
    this(queueBound, metrics, snapshots, key -> -1, Runnable::run);
  }

  /**
   * @param timestamps the timestamp of an instance's current state by key, or -1 while its replica has none
   * @param later runs a task on a later turn of this event loop (between chunks of a walk)
   */
  FanOut(long queueBound, WebMetrics metrics, Function<String, Encoded> snapshots, ToLongFunction<String> timestamps,
         Consumer<Runnable> later) {
    this.queueBound = queueBound;
    this.metrics = metrics;
    this.snapshots = snapshots;
    this.timestamps = timestamps;
    this.later = later;
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
    if (withSnapshot) {
      Encoded snapshot = snapshots.apply(key);
      if (snapshot != null) {
        send(client, snapshot);
      }
    } else {
      long ts = timestamps.applyAsLong(key);
      if (ts >= 0) {
        client.at.put(key, ts); // the batches from here on are what it gets; its snapshot request resets this
      }
    }
  }

  void unsubscribe(Client client, String key) {
    if (client.keys.remove(key)) {
      leave(key, client);
    }
  }

  /** The client asked for the snapshot of an instance it follows: no batch of it goes to the client until the answer. */
  void asking(Client client, String key) {
    if (client.keys.contains(key)) {
      client.asking.add(key);
    }
  }

  /**
   * Its request failed: the client gets that instance's batches again, or, lacking a state (a batch went by while it
   * asked), its next snapshot.
   */
  void notAnswered(Client client, String key) {
    client.asking.remove(key);
  }

  /**
   * A snapshot the client asked for, in a frame of its own ({@code length} bytes, written by {@code write} if admitted):
   * from its state, and what followed it ({@link Encoded#since}), the client's batches go on.
   */
  boolean sendSnapshot(Client client, int length, Supplier<Future<Void>> write, Encoded snapshot) {
    client.asking.remove(snapshot.key);
    // Answers for instances it does not follow are exempt one at a time, not one per instance: else a client asking
    // for one instance after another and never reading would hold them all, never stalled, so never closed.
    String exemptKey = client.keys.contains(snapshot.key) ? snapshot.key : NOT_FOLLOWED;
    long exempt = exempt(client, length, exemptKey);
    if (!admit(client, length, exempt)) {
      return false;
    }
    track(client, length, exempt, exemptKey, write.get());
    if (client.keys.contains(snapshot.key)) {
      holds(client, snapshot, exempt > 0);
    }
    return true;
  }

  private void leave(String key, Client client) {
    client.at.remove(key);
    client.asking.remove(key);
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

  /** Whether a follower of the instance waits for its snapshot: one without a state, neither stalled nor asking. */
  boolean awaitsSnapshot(String key) {
    for (Client c : subscribers.getOrDefault(key, Set.of())) {
      if (!c.at.containsKey(key) && !c.stalled && !c.closed && !c.asking.contains(key)) {
        return true;
      }
    }
    return false;
  }

  /** Followers of an instance on this node. */
  int followers(String key) {
    return subscribers.getOrDefault(key, Set.of()).size();
  }

  /** The instance ended (its source refused it): every follower is told, and follows it no more. */
  void end(String key, OpenFailure why) {
    pending.remove(key);
    Set<Client> followers = subscribers.remove(key);
    if (followers == null) {
      return;
    }
    subscriptions -= followers.size(); // they follow it no more: a node that refused many is not crowded for good
    for (Client c : followers) {
      c.keys.remove(key);
      c.at.remove(key);
      c.asking.remove(key);
      if (!c.closed) {
        c.ended(this, key, why);
      }
    }
  }

  /**
   * A batch the replica applied on top of its state at {@code previous} ({@code message}: as clients get it,
   * never changed afterwards). On a node with a small audience the same frame goes to every subscriber at once.
   * On a crowded one it joins the instance's {@link PendingBatches} and the node's walk over its clients, a
   * chunk per turn of the event loop, which sends each client, when its turn comes, everything newer than the
   * states it holds, of every instance it follows; batches arriving meanwhile reach the clients not yet visited
   * in the same round.
   */
  void batch(String key, JsonObject message, long previous) {
    Encoded batch = Encoded.of(key, message);
    PendingBatches p = pending.get(key);
    if (p == null && !crowded(key)) {
      metrics.lag(System.currentTimeMillis() - batch.timestamp);
      metrics.batchesMerged(1);
      for (Client c : subscribers.getOrDefault(key, Set.of())) {
        // One without a state gets the snapshot when it is built, then what followed; one asking, its answer, and
        // lacks this batch: should the answer fail, it must not go on from its old state past the gap.
        if (c.asking.contains(key)) {
          c.at.remove(key);
        } else if (c.at.containsKey(key)) {
          send(c, batch);
        }
      }
      return;
    }
    if (p == null) {
      if (!subscribers.containsKey(key)) {
        return; // no follower here (a default view nobody on this node follows): nothing for a walk to send
      }
      p = new PendingBatches(key, previous, snapshots, metrics);
      pending.put(key, p);
    }
    p.add(batch, message);
    bundles.clear();
    schedule();
  }

  /**
   * Whether a round of writes is long enough (many sockets) that this view's followers are better
   * walked, each sent what it lacks in one frame, than sent every batch at once; see {@link PendingBatches}. By
   * followers, not by timing: many of this view, or many subscriptions over all views (100 sets of 10
   * clients each take the loop as long as one set of 1,000). A node with a small audience sends every
   * batch as it came.
   */
  boolean crowded(String key) {
    return subscriptions >= CROWD || subscribers.getOrDefault(key, Set.of()).size() >= CROWD;
  }

  /**
   * The replica was (re)built from a snapshot: every subscriber starts over from it, now if it is built, else when
   * it is ({@link #snapshotReady}). The snapshot is only built (sorted, serialized) when the view has subscribers here.
   */
  void snapshotToAll(String key, Supplier<Encoded> snapshots, String reason) {
    pending.remove(key); // its batches are older than the snapshot, or from before a reset
    Set<Client> followers = subscribers.getOrDefault(key, Set.of());
    if (followers.isEmpty()) {
      return;
    }
    for (Client c : followers) {
      c.at.remove(key); // what it holds is from before: it lacks a state until it gets this one
    }
    Encoded snapshot = snapshots.get();
    for (Client c : followers) {
      if (snapshot == null ? !c.closed && !c.stalled : send(c, snapshot)) {
        metrics.snapshotResent(reason);
      }
    }
  }

  /**
   * A snapshot built off the event loop is ready; with its {@link Encoded#since} it is the state the instance's
   * followers were sent: each follower that lacks a state the batches to come can start from (it joined while the
   * snapshot was built, drained, was reset, or is behind what the walk holds) gets both now, before those batches.
   */
  void snapshotReady(Encoded snapshot) {
    PendingBatches p = pending.get(snapshot.key);
    long from = p != null ? p.base : snapshot.since != null ? snapshot.since.timestamp : snapshot.timestamp;
    for (Client c : subscribers.getOrDefault(snapshot.key, Set.of())) {
      Long at = c.at.get(snapshot.key);
      if ((at == null || at < from) && !c.stalled && !c.asking.contains(snapshot.key) && send(c, snapshot) && at != null) {
        metrics.snapshotResent("behind");
      }
    }
  }

  /**
   * A notice the client must not miss (an instance it followed has ended): written even to a stalled client, whose
   * drain would not bring it back. At most one per instance a client follows, so it cannot pile up.
   */
  void notice(Client client, Buffer frame) {
    if (!client.closed) {
      count(client, frame.length());
      track(client, frame.length(), 0, null, client.write(frame));
    }
  }

  /**
   * Writes a frame unless the client is stalled or the frame would take its queue past the
   * bound; then the client stalls (see the class comment). An empty queue always takes one
   * frame, so a message larger than the bound still gets through. Returns whether it was written.
   */
  boolean send(Client client, Buffer frame) {
    return write(client, frame, null) >= 0;
  }

  /**
   * A view message, in the frame of the client's transport; once sent, the client holds the state at its timestamp.
   * A snapshot built while its instance moved on is followed by what it lacks ({@link Encoded#since}).
   */
  boolean send(Client client, Encoded message) {
    long exempt = write(client, client.frame(message), message);
    if (exempt >= 0) {
      holds(client, message, exempt > 0);
    }
    return exempt >= 0;
  }

  /**
   * The client was sent {@code message}: it holds that state, and is sent what followed a snapshot's (its since). The
   * since is the snapshot's tail, exempt from the bound when the snapshot was: counted, a since larger than the bound
   * stalled the client before its next view's snapshot, and each drain resent the same two frames, for good.
   */
  private void holds(Client client, Encoded message, boolean exempt) {
    client.at.put(message.key, message.timestamp);
    Encoded since = message.since;
    if (since != null) {
      Buffer frame = client.frame(since);
      if (write(client, frame, since, null, exempt ? frame.length() : 0) >= 0) {
        client.at.put(since.key, since.timestamp);
      }
    }
  }

  /** Writes the frame if admitted; the bytes of it not held against the bound, or -1 if it was not written. */
  private long write(Client client, Buffer frame, Encoded message) {
    String key = message != null && message.snapshot ? message.key : null;
    return write(client, frame, message, key, exempt(client, frame.length(), key));
  }

  /** The same with {@code exempt} bytes not held against the bound, those of a snapshot of {@code key} if not null. */
  private long write(Client client, Buffer frame, Encoded message, String key, long exempt) {
    int length = frame.length();
    if (!admit(client, length, exempt)) {
      return -1;
    }
    track(client, length, exempt, key, message == null ? client.write(frame) : client.write(message, frame));
    return exempt;
  }

  /**
   * How much of a frame would not be held against the bound: all of it if it is the snapshot of instance
   * {@code snapshotKey} (null: not a snapshot) and none of that instance is in flight (whatever batches are queued
   * before it: it replaces what they build up to). One per instance: a client resuming several views is sent each one's
   * snapshot at once, and a large one counted would stall it again behind its own snapshot, for good.
   */
  private static long exempt(Client client, int length, String snapshotKey) {
    return snapshotKey != null && !client.snapshotsInFlight.contains(snapshotKey) ? length : 0;
  }

  /**
   * Whether a frame of {@code length} bytes, {@code exempt} of them not held against the bound, may be written now;
   * if so, it is counted in the client's queue.
   */
  private boolean admit(Client client, int length, long exempt) {
    if (client.closed) {
      return false;
    }
    long held = client.queuedBytes - client.snapshotBytes;
    if (!client.stalled && held > 0
      && (held + length - exempt > queueBound || (client.snapshotBytes == 0 && client.transportFull()))) {
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
    count(client, length);
    return true;
  }

  private void count(Client client, int length) {
    client.queuedBytes += length;
    client.framesWritten++;
    client.maxQueuedBytes = Math.max(client.maxQueuedBytes, client.queuedBytes);
    maxQueuedBytes = Math.max(maxQueuedBytes, client.queuedBytes);
    metrics.frameSent(client.transport);
  }

  private void track(Client client, int length, long exempt, String key, Future<Void> write) {
    if (exempt > 0) {
      client.snapshotBytes += exempt;
      if (key != null) {
        client.snapshotsInFlight.add(key);
      }
    }
    write.onComplete(ar -> written(client, length, exempt, key));
  }

  private void written(Client client, int length, long exempt, String snapshotKey) {
    client.queuedBytes -= length;
    if (exempt > 0) {
      client.snapshotBytes -= exempt;
      client.snapshotsInFlight.remove(snapshotKey);
    }
    if (client.stalled && client.queuedBytes == 0 && !client.closed) {
      client.stalled = false;
      log.debug("{} drained after {} ms; sending it fresh snapshots", client, System.currentTimeMillis() - client.stalledSinceMillis);
      for (String key : client.keys) {
        if (client.asking.contains(key)) {
          continue; // its answer comes
        }
        Encoded snapshot = snapshots.apply(key);
        if (snapshot == null) {
          client.at.remove(key); // being built: it gets it when ready, and no batch before it
        } else if (send(client, snapshot)) {
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

  /** Clients of one walk's chunk: enough that a chunk takes about a millisecond, so batches are heard between. */
  static final int CHUNK = 256;

  private void schedule() {
    if (!walkScheduled) {
      walkScheduled = true;
      later.accept(this::step);
    }
  }

  /**
   * One chunk of the walk: each client visited is sent, for every instance it follows with pending batches, what it
   * lacks; a client that bundles gets all of it in one frame. A round that ends with followers behind starts over,
   * one with none behind ends.
   */
  private void step() {
    walkScheduled = false;
    if (pending.isEmpty()) {
      order = null;
      return;
    }
    if (order == null) {
      order = new ArrayList<>(pending.size() == 1 ? subscribers.getOrDefault(pending.keySet().iterator().next(), Set.of()) : clients);
      next = 0;
      for (PendingBatches p : pending.values()) {
        p.roundFrom = p.latest();
      }
    }
    List<Encoded> lacking = new ArrayList<>();
    int visited = 0;
    while (next < order.size() && visited < CHUNK) {
      Client c = order.get(next++);
      if (c.closed || c.stalled) {
        continue; // a stalled client gets snapshots once it drains
      }
      lacking.clear();
      for (String key : c.keys) {
        if (c.asking.contains(key)) {
          continue; // its answer comes
        }
        PendingBatches p = pending.get(key);
        Encoded frame = p == null ? null : p.frameFor(c.at.get(key));
        if (frame != null) {
          lacking.add(frame);
        }
      }
      if (!lacking.isEmpty()) {
        visited++;
        sendAll(c, lacking);
      }
    }
    if (next < order.size()) {
      schedule();
      return;
    }
    order = null;
    bundles.clear();
    boolean behind = false;
    for (Iterator<PendingBatches> it = pending.values().iterator(); it.hasNext(); ) {
      PendingBatches p = it.next();
      if (p.latest() > p.roundFrom) {
        p.trimTo(p.roundFrom); // every follower holds at least the state the round began at
        behind = true;
      } else {
        it.remove();
      }
    }
    if (behind) {
      schedule();
    }
  }

  /**
   * What one visit sends a client: a frame per message, or one for all if its transport bundles them. A large message
   * (a snapshot) still goes in its own frame, the one every client of it shares: bundled, it would be framed again
   * here on the event loop, per bundle. So does a snapshot followed by what it lacks, with that.
   */
  private void sendAll(Client c, List<Encoded> messages) {
    if (messages.size() == 1 || !c.bundles()) {
      for (Encoded m : messages) {
        send(c, m);
      }
      return;
    }
    if (anyAlone(messages)) {
      List<Encoded> small = new ArrayList<>();
      for (Encoded m : messages) {
        if (alone(m)) {
          send(c, m);
        } else {
          small.add(m);
        }
      }
      if (!small.isEmpty()) {
        sendAll(c, small);
      }
      return;
    }
    Bundle bundle = bundles.get(messages);
    if (bundle == null) {
      bundle = new Bundle(messages);
      bundles.put(bundle.messages, bundle);
    }
    Buffer frame = c.frame(bundle);
    long exempt = exempt(c, frame.length(), bundle.snapshotKey);
    if (admit(c, frame.length(), exempt)) {
      track(c, frame.length(), exempt, bundle.snapshotKey, c.write(bundle, frame));
      for (Encoded m : bundle.messages) {
        c.at.put(m.key, m.timestamp);
      }
    }
  }

  private static boolean anyAlone(List<Encoded> messages) {
    for (Encoded m : messages) {
      if (alone(m)) {
        return true;
      }
    }
    return false;
  }

  private static boolean alone(Encoded m) {
    return m.large() || m.since != null;
  }
}
