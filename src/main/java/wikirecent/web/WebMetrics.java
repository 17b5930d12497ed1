package wikirecent.web;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import wikirecent.bus.ViewParams;
import wikirecent.status.Meters;
import wikirecent.status.Metrics;

import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The web part's meters, in the process's registry ({@link Metrics#registry}); created once and removed on
 * stop, so a redeployed verticle starts clean.
 */
final class WebMetrics {

  static final List<String> SNAPSHOT_REASONS = List.of("synced", "reset", "drained", "behind");
  static final List<String> BRIDGE_FRAME_TYPES = List.of("register", "unregister", "send", "publish", "invalid");
  /** Why the server closed a connection that was waiting for a request. */
  static final List<String> TIMEOUT_REASONS = List.of("idle", "request_head", "request_body");
  /**
   * What was wrong with a request: an unreadable head, a path or a query that does not decode, a WebSocket
   * handshake without its key, another request failure a client caused (a broken body), or a
   * fault on the connection itself.
   */
  static final List<String> MALFORMED_KINDS = List.of("head", "path", "query", "upgrade", "request", "connection");
  /** Why a replica asked its source again for an instance: the source no longer had it, or had started. */
  static final List<String> REOPEN_REASONS = List.of("unknown", "started", "missed");
  /** The refusals a source (or this node's own bound) answers an instance with. */
  static final List<Integer> REFUSAL_CODES = List.of(400, 429, 501);

  private final Meters meters;
  private final Map<Client.Transport, Counter> sent = new EnumMap<>(Client.Transport.class);
  private final Map<Client.Transport, Counter> dropped = new EnumMap<>(Client.Transport.class);
  private final Map<Client.Transport, Counter> stuckClosed = new EnumMap<>(Client.Transport.class);
  private final Map<String, Counter> batches = new HashMap<>();
  private final Map<String, Counter> invalid = new HashMap<>();
  private final Map<String, Counter> divergences = new HashMap<>();
  private final Map<String, Counter> resent = new HashMap<>();
  private final Map<String, Counter> refused = new HashMap<>();
  private final Map<String, Counter> timedOut = new HashMap<>();
  private final Map<String, Counter> malformed = new HashMap<>();
  private final Map<String, Counter> reopened = new HashMap<>();
  private final Map<Integer, Counter> replicasRefused = new HashMap<>();
  private final Counter replicasOpened;
  private final Counter replicasDropped;
  private final Counter connectionsRefused;
  private final Counter originsRefused;
  private final Timer lag;
  private final DistributionSummary merged;
  private final Timer snapshotBuilds;
  private final Timer snapshotGzips;
  private final AtomicInteger buildsRunning = new AtomicInteger();

  /** In a registry of its own (tests of the fan-out alone). */
  WebMetrics() {
    this(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  }

  WebMetrics(MeterRegistry registry) {
    meters = new Meters(registry);
    for (Client.Transport t : Client.Transport.values()) {
      sent.put(t, meters.counter("wikirecent.web.frames.sent", "Frames written to clients", "transport", t.tag));
      dropped.put(t, meters.counter("wikirecent.web.frames.dropped", "Frames not sent because the client's queue was full (it gets a snapshot once drained)", "transport", t.tag));
      stuckClosed.put(t, meters.counter("wikirecent.web.clients.closed.stuck", "Clients disconnected because their queue stayed full", "transport", t.tag));
    }
    // Per view name, never per instance: a fixed, small set of series however many instances clients open.
    for (ViewParams.View v : ViewParams.View.values()) {
      String view = v.viewName();
      batches.put(view, meters.counter("wikirecent.web.batches.received", "View messages received from the event bus", "view", view));
      invalid.put(view, meters.counter("wikirecent.web.messages.invalid", "Malformed view messages ignored", "view", view));
      divergences.put(view, meters.counter("wikirecent.web.divergences", "Batches that did not fit the replica (a fresh snapshot was taken)", "view", view));
    }
    for (String reason : SNAPSHOT_REASONS) {
      resent.put(reason, meters.counter("wikirecent.web.snapshots.resent", "Snapshots pushed to connected clients", "reason", reason));
    }
    for (String type : BRIDGE_FRAME_TYPES) {
      refused.put(type, meters.counter("wikirecent.web.bridge.refused", "Event-bus bridge frames refused", "type", type));
    }
    for (String reason : TIMEOUT_REASONS) {
      timedOut.put(reason, meters.counter("wikirecent.web.connections.closed", "Connections the server closed because no request came in time", "reason", reason));
    }
    for (String kind : MALFORMED_KINDS) {
      malformed.put(kind, meters.counter("wikirecent.web.requests.malformed", "Malformed requests answered with a 4xx (or dropped)", "kind", kind));
    }
    for (String reason : REOPEN_REASONS) {
      reopened.put(reason, meters.counter("wikirecent.web.replicas.reopened", "Instances asked for again (the source no longer had them: unknown; a source started; no batches reached this node: missed)", "reason", reason));
    }
    for (int code : REFUSAL_CODES) {
      replicasRefused.put(code, meters.counter("wikirecent.web.replicas.refused", "Instances refused: 400 bad parameters, 429 too many instances (at the source, or web.maxReplicas here), 501 not available with this source", "code", String.valueOf(code)));
    }
    replicasOpened = meters.counter("wikirecent.web.replicas.opened", "Replicas of view instances opened on demand");
    replicasDropped = meters.counter("wikirecent.web.replicas.dropped", "Replicas dropped after lingering web.replicaLingerSeconds without a client");
    connectionsRefused = meters.counter("wikirecent.web.connections.refused", "Connections closed at once because web.maxConnections were open");
    originsRefused = meters.counter("wikirecent.web.origins.refused", "Requests refused (403) because their Origin is not in web.allowedOrigins");
    lag = meters.add(Timer.builder("wikirecent.web.lag")
      .description("Now minus the timestamp of the oldest change in a frame when this node fans it out")
      .publishPercentileHistogram()
      .minimumExpectedValue(Duration.ofMillis(1))
      .maximumExpectedValue(Duration.ofSeconds(60))
      .register(registry));
    merged = meters.add(DistributionSummary.builder("wikirecent.web.batches.merged")
      .description("Batches merged into one frame (more than 1 when batches arrive faster than this node fans them out)")
      .register(registry));
    snapshotBuilds = meters.add(Timer.builder("wikirecent.web.snapshot.builds")
      .description("Snapshots built (sorted, serialized, framed) on the builders' worker pool, from the request to ready")
      .register(registry));
    snapshotGzips = meters.add(Timer.builder("wikirecent.web.snapshot.gzips")
      .description("Large snapshots gzipped for REST answers (once per state that a client taking gzip asked for), from the request to ready")
      .register(registry));
    meters.gauge("wikirecent.web.snapshot.builds.running", "Snapshot builds under way or waiting for a builder", buildsRunning,
      AtomicInteger::get);
  }

  /** Gauges read the fan-out and replicas at scrape time. */
  void bind(FanOut fanOut, Replicas replicas) {
    for (Client.Transport t : Client.Transport.values()) {
      meters.gauge("wikirecent.web.clients", "Connected clients", fanOut, f -> f.clientCount(t), "transport", t.tag);
    }
    meters.gauge("wikirecent.web.clients.stalled", "Clients currently not getting batches because their queue is full", fanOut, FanOut::stalledCount);
    meters.gauge("wikirecent.web.queued.bytes", "Bytes queued towards all clients", fanOut, FanOut::queuedBytes);
    meters.gauge("wikirecent.web.client.queue.bound.bytes", "Per-client queue bound (web.clientQueueBytes)", fanOut, FanOut::queueBound);
    for (ViewParams.View v : ViewParams.View.values()) {
      meters.gauge("wikirecent.web.replicas", "Replicas of this view's instances this node holds", replicas, x -> x.held(v.viewName()), "view", v.viewName());
    }
    for (ViewReplica r : replicas.permanent().values()) {
      meters.gauge("wikirecent.web.replica.synced", "1 when this node's replica of the view is up to date", r, x -> x.synced() ? 1 : 0, "view", r.view());
      meters.gauge("wikirecent.web.replica.timestamp.seconds", "Timestamp of the replica's last applied change (seconds since the epoch)",
        r, x -> x.timestamp() / 1000.0, "view", r.view());
    }
  }

  /** Gauges read the connection guard at scrape time. */
  void bind(ConnectionGuard guard) {
    meters.gauge("wikirecent.web.connections.open", "Open connections, streams included", guard, ConnectionGuard::openCount);
    meters.gauge("wikirecent.web.connections.max", "Open connections past which new ones are refused (web.maxConnections)", guard, ConnectionGuard::max);
  }

  void connectionRefused() {
    connectionsRefused.increment();
  }

  void connectionTimedOut(String reason) {
    timedOut.get(reason).increment();
  }

  void malformedRequest(String kind) {
    malformed.get(kind).increment();
  }

  void originRefused() {
    originsRefused.increment();
  }

  void frameSent(Client.Transport t) {
    sent.get(t).increment();
  }

  void frameDropped(Client.Transport t) {
    dropped.get(t).increment();
  }

  void stuckClientClosed(Client.Transport t) {
    stuckClosed.get(t).increment();
  }

  void batchReceived(String view) {
    batches.get(view).increment();
  }

  void invalidMessage(String view) {
    invalid.get(view).increment();
  }

  void divergence(String view) {
    divergences.get(view).increment();
  }

  void replicaOpened() {
    replicasOpened.increment();
  }

  void replicaDropped() {
    replicasDropped.increment();
  }

  void replicaRefused(int code) {
    Counter c = replicasRefused.get(code);
    if (c != null) {
      c.increment();
    }
  }

  void replicaReopened(String reason) {
    reopened.get(reason).increment();
  }

  void snapshotResent(String reason) {
    resent.get(reason).increment();
  }

  void bridgeRefused(String type) {
    refused.get(type).increment();
  }

  void batchesMerged(int count) {
    merged.record(count);
  }

  void buildStarted() {
    buildsRunning.incrementAndGet();
  }

  void buildEnded(long nanos) {
    buildsRunning.decrementAndGet();
    snapshotBuilds.record(nanos, TimeUnit.NANOSECONDS);
  }

  void gzipped(long nanos) {
    snapshotGzips.record(nanos, TimeUnit.NANOSECONDS);
  }

  void lag(long millis) {
    lag.record(Math.max(0, millis), TimeUnit.MILLISECONDS);
  }

  void close() {
    meters.close();
  }
}
