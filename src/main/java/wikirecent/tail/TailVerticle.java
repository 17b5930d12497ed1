package wikirecent.tail;

import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import wikirecent.bus.Addresses;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewsStatus;
import wikirecent.config.Config;
import wikirecent.config.Redact;
import wikirecent.status.Meters;
import wikirecent.status.Metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The {@code views} part with {@code source=materialize}. Every view's default set is tailed from
 * start to stop, each on its own connection; the other sets of the fixed table ({@link ServedSets})
 * are tailed on demand: a snapshot request on {@code views.<view>.snapshot} with a params body
 * opens one (at most {@code views.maxInstances}), keep-alives on {@code views.wanted} keep it, and
 * one nobody wanted for {@code views.instanceIdleSeconds} is closed with its connection. A set the
 * table lacks is refused with 501, never answered from another set. Starts at once; Materialize
 * may come later.
 */
public class TailVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(TailVerticle.class);
  /** The worker pool that orders snapshots for requests ({@link SnapshotAnswers}); shared by name with its tests. */
  static final String BUILDERS = "wikirecent-tail-snapshot-builds";
  static final int BUILDER_THREADS = 2;

  /** An on-demand set and when a web node last asked for it. */
  private static final class OnDemand {
    final ViewTail tail;
    long wantedAt;

    OnDemand(ViewTail tail, long now) {
      this.tail = tail;
      this.wantedAt = now;
    }
  }

  private final Map<String, ViewTail> always = new LinkedHashMap<>();
  private final Map<String, OnDemand> onDemand = new LinkedHashMap<>();
  private final Map<String, TailMeters> tailMeters = new HashMap<>(); // per key, kept: the table bounds them
  private final Map<String, Counter> refusals = new HashMap<>();
  private PgConnectOptions options;
  private ViewTail.Settings settings;
  private TailSql sql;
  private Meters meters;
  private WorkerExecutor builders;
  private String where;
  private int maxInstances;
  private long idleNanos;
  private long idleTimer = -1;
  private boolean started;
  private volatile int onDemandCount; // for the gauge, read from the scraping thread

  @Override
  public Future<?> start() {
    Config config = Config.of(config());
    try {
      options = connectOptions(config.string(Config.MATERIALIZE_URL));
    } catch (IllegalArgumentException e) {
      // the client's message quotes the whole URL, password and all
      return Future.failedFuture(Config.MATERIALIZE_URL + " is not a postgresql:// URL: " + Redact.text(e.getMessage()));
    }
    where = options.getHost() + ":" + options.getPort() + "/" + options.getDatabase();
    settings = new ViewTail.Settings(
      config.longValue(Config.MATERIALIZE_RETRY_MIN_MILLIS),
      config.longValue(Config.MATERIALIZE_RETRY_MAX_MILLIS),
      config.longValue(Config.MATERIALIZE_STALL_MILLIS));
    maxInstances = config.integer(Config.VIEWS_MAX_INSTANCES);
    long idleMillis = config.longValue(Config.VIEWS_INSTANCE_IDLE_SECONDS) * 1000;
    idleNanos = idleMillis * 1_000_000;
    sql = TailSql.load();
    meters = new Meters(Metrics.registry(vertx));
    builders = vertx.createSharedWorkerExecutor(BUILDERS, BUILDER_THREADS);

    for (ServedSets.Served set : ServedSets.always()) {
      always.put(set.key(), new ViewTail(vertx, set, options, sql, settings, meters(set.key()), builders, this::aDefaultSetIsLive));
    }
    List<Future<Void>> registered = new ArrayList<>();
    Set<String> viewNames = new LinkedHashSet<>();
    ServedSets.all().forEach(s -> viewNames.add(s.viewName()));
    for (String viewName : viewNames) {
      MessageConsumer<Object> consumer = vertx.eventBus().consumer(Addresses.snapshot(viewName), msg -> snapshotRequest(viewName, msg));
      registered.add(consumer.completion());
    }
    registered.add(vertx.eventBus().consumer(Addresses.VIEWS_WANTED, this::wanted).completion());
    meters.gauge("wikirecent.views.up", "1 when the view source is live (every view's TAIL has its snapshot)", List.copyOf(always.values()),
      all -> all.stream().allMatch(ViewTail::live) ? 1 : 0);
    meters.gauge("wikirecent.views.tail.instances", "Parameter sets tailed on demand now (besides the default sets)", this, v -> v.onDemandCount);
    registered.add(vertx.eventBus().consumer(Addresses.STATUS_VIEWS, msg -> msg.reply(status())).completion());
    idleTimer = vertx.setPeriodic(Math.max(50, Math.min(1000, idleMillis / 4)), id -> dropIdle());
    return Future.all(registered).onSuccess(x -> {
      log.info("Tailing {} views on Materialize at {}; {} more parameter sets on demand", always.size(), where,
        ServedSets.all().size() - always.size());
      always.values().forEach(ViewTail::start);
    });
  }

  private static PgConnectOptions connectOptions(String url) {
    PgConnectOptions options = PgConnectOptions.fromUri(url);
    options.setReconnectAttempts(0); // only covers the first connect; ViewTail reconnects itself
    if ("vertx-pg-client".equals(options.getProperties().get("application_name"))) {
      options.addProperty("application_name", "wikirecent-tail"); // how our sessions show in Materialize
    }
    if (options.getSslMode() != SslMode.DISABLE && options.getSslOptions() == null) {
      // ?sslmode=... in the URL: TLS with the JVM's trust store (the client has no default and would fail).
      options.setSslOptions(new ClientSSLOptions()
        .setHostnameVerificationAlgorithm(options.getSslMode() == SslMode.VERIFY_FULL ? "HTTPS" : ""));
    }
    return options;
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(idleTimer);
    meters.close();
    List<Future<Void>> stops = new ArrayList<>();
    always.values().forEach(t -> stops.add(t.stop()));
    onDemand.values().forEach(o -> stops.add(o.tail.stop()));
    onDemand.clear();
    return Future.join(stops).eventually(() -> builders.close());
  }

  private void snapshotRequest(String viewName, Message<Object> msg) {
    String key;
    try {
      key = SetRequest.key(viewName, msg.body());
    } catch (IllegalArgumentException e) {
      refused("params").increment();
      msg.fail(400, e.getMessage());
      return;
    }
    Optional<ServedSets.Served> served = ServedSets.byKey(key);
    if (served.isEmpty()) {
      refused("unserved").increment();
      msg.fail(501, "not available with source=materialize: " + key); // a canonical key: safe to echo
      return;
    }
    ViewTail tail = always.get(key);
    if (tail != null) {
      tail.replySnapshot(msg);
      return;
    }
    OnDemand instance = onDemand.get(key);
    if (instance == null) {
      if (onDemand.size() >= maxInstances) {
        refused("cap").increment();
        msg.fail(429, "too many live instances: " + key + " would be one more than views.maxInstances (" + maxInstances + ")");
        return;
      }
      instance = new OnDemand(new ViewTail(vertx, served.get(), options, sql, settings, meters(key), builders), System.nanoTime());
      onDemand.put(key, instance);
      onDemandCount = onDemand.size();
      log.info("{}: opened on demand ({} on-demand sets now)", key, onDemand.size());
      instance.tail.start();
    }
    instance.wantedAt = System.nanoTime();
    instance.tail.replySnapshotWhenReady(msg);
  }

  // A web node's keep-alive: {"keys":[...]} -> {"unknown":[keys with no live instance here]}.
  private void wanted(Message<Object> msg) {
    JsonArray keys = msg.body() instanceof JsonObject o && o.getValue(ViewMessage.KEYS) instanceof JsonArray a ? a : null;
    if (keys == null) {
      msg.fail(400, "a keep-alive is {\"keys\":[canonical keys]}");
      return;
    }
    long now = System.nanoTime();
    List<String> unknown = new ArrayList<>();
    Map<String, Long> published = new HashMap<>();
    for (Object k : keys) {
      OnDemand instance = k instanceof String s ? onDemand.get(s) : null;
      ViewTail tail = instance != null ? instance.tail : k instanceof String s ? always.get(s) : null;
      if (instance != null) {
        instance.wantedAt = now;
      }
      if (tail == null) {
        unknown.add(String.valueOf(k));
        continue;
      }
      Long last = tail.lastPublished();
      if (last != null) {
        published.put((String) k, last);
      }
    }
    msg.reply(ViewMessage.keepAliveReply(unknown, published));
  }

  private void dropIdle() {
    long now = System.nanoTime();
    List<String> idle = new ArrayList<>();
    onDemand.forEach((key, instance) -> {
      if (now - instance.wantedAt > idleNanos) {
        idle.add(key);
      }
    });
    for (String key : idle) {
      onDemand.remove(key).tail.stop();
      onDemandCount = onDemand.size();
      log.info("{}: nobody wanted it for {} s, closed ({} on-demand sets left)", key, idleNanos / 1_000_000_000, onDemand.size());
    }
  }

  // Once every default set has its first snapshot, web nodes may (re-)request their other sets.
  private void aDefaultSetIsLive(ViewTail tail) {
    if (!started && always.values().stream().allMatch(ViewTail::live)) {
      started = true;
      vertx.eventBus().publish(Addresses.VIEWS_STARTED, new JsonObject());
      log.info("Every default view is live; published on {}", Addresses.VIEWS_STARTED);
    }
  }

  private TailMeters meters(String key) {
    return tailMeters.computeIfAbsent(key, k -> new TailMeters(meters, k));
  }

  private Counter refused(String reason) {
    return refusals.computeIfAbsent(reason, r -> meters.counter("wikirecent.views.tail.requests.refused",
      "Snapshot requests refused: params (400), unserved (501: not in the served table), cap (429: views.maxInstances)", "reason", r));
  }

  private JsonObject status() {
    boolean live = always.values().stream().allMatch(ViewTail::live);
    String detail = "Materialize at " + where + ": " + always.values().stream().map(ViewTail::describe).collect(Collectors.joining(", "));
    if (!onDemand.isEmpty()) {
      detail += "; on demand: " + onDemand.values().stream().map(o -> o.tail.describe()).collect(Collectors.joining(", "));
    }
    return new ViewsStatus(live, "materialize", detail).toJson();
  }
}
