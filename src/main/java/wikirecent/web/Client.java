package wikirecent.web;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.SocketAddress;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * One connected socket as the fan-out sees it: the view instances it follows (by canonical key) and
 * what is queued towards it. All fields are touched on the web verticle's event loop only.
 */
abstract class Client {

  /** How a client is connected; also the {@code transport} tag of the web meters. */
  enum Transport {
    WEBSOCKET("websocket"), SOCKJS("sockjs");

    final String tag;

    Transport(String tag) {
      this.tag = tag;
    }
  }

  final Transport transport;
  /** Canonical keys of the instances it follows: {@code top10}, {@code top10?window=1h}. */
  final Set<String> keys = new LinkedHashSet<>();
  /** Per followed key, the timestamp of the state it was last sent (a snapshot or a batch); absent until it has one. */
  final Map<String, Long> at = new HashMap<>();
  /**
   * Followed keys whose snapshot it asked for and has not been answered: it is sent no batch of them meanwhile (a page
   * replays the batches newer than its answer, and a walk's merged batch could straddle the answer's state).
   */
  final Set<String> asking = new HashSet<>();
  /** Bytes handed to the transport whose write has not completed yet: what this client holds in server memory. */
  long queuedBytes;
  /**
   * Of {@link #queuedBytes}, those of the shared snapshots in flight (and their sinces), one per instance at most: not held against the
   * bound, so a client joining a large view takes the batches that follow its snapshot instead of stalling behind it,
   * and one resuming several views gets each view's snapshot without the large one stalling it again.
   */
  long snapshotBytes;
  /** The instances whose snapshot in flight is counted in {@link #snapshotBytes}. */
  final Set<String> snapshotsInFlight = new HashSet<>();
  /** Frames handed to the transport so far; and as many when it was last asked whether it is quiet. */
  long framesWritten;
  private long framesAtLastLook = -1;
  /** The most ever queued towards this client. */
  long maxQueuedBytes;
  /** True while batches are being dropped for this client; it gets a fresh snapshot once its queue is empty. */
  boolean stalled;
  long stalledSinceMillis;
  long framesDropped;
  /** How many times it stalled: only the first is worth a log line. */
  int stalls;
  boolean closed;

  Client(Transport transport) {
    this.transport = transport;
  }

  /** The frame this transport sends for a message. */
  abstract Buffer frame(Encoded message);

  /** Writes one frame; the future completes when the transport has handed it to the network. */
  abstract Future<Void> write(Buffer frame);

  /** Writes a view message whose frame is {@code frame}; a transport may build what it sends from the message instead. */
  Future<Void> write(Encoded message, Buffer frame) {
    return write(frame);
  }

  /**
   * Whether several view messages can go in one frame (SockJS's {@code a[...]}): a visit of the fan-out's walk then
   * sends a client everything it lacks, of all the instances it follows, as one {@link Bundle}.
   */
  boolean bundles() {
    return false;
  }

  /** The frame of a bundle on this transport (only if {@link #bundles()}). */
  Buffer frame(Bundle bundle) {
    throw new UnsupportedOperationException("this transport sends one message per frame");
  }

  /** Writes a bundle whose frame is {@code frame} (only if {@link #bundles()}). */
  Future<Void> write(Bundle bundle, Buffer frame) {
    throw new UnsupportedOperationException("this transport sends one message per frame");
  }

  /** The transport's own back-pressure signal (Netty's or SockJS's queue). */
  abstract boolean transportFull();

  abstract SocketAddress remoteAddress();

  abstract void close();

  /** Asks the peer for a sign of life if the transport has none of its own (SockJS sends heartbeats). */
  void ping() {
  }

  /** Pings it if nothing was written to it since the last call: only quiet sockets need it. */
  final void pingIfQuiet() {
    if (framesWritten == framesAtLastLook) {
      ping();
    }
    framesAtLastLook = framesWritten;
  }

  /**
   * The instance {@code key} this client followed has ended (the source refused it): tell the client.
   * It no longer follows it.
   */
  abstract void ended(FanOut fanOut, String key, OpenFailure why);

  @Override
  public String toString() {
    return transport.tag + " client " + remoteAddress();
  }
}
