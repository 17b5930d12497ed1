package wikirecent.config;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every configuration key, read from one place. Defaults come from {@code conf/config.json}
 * (packed into the jar), then the launcher's {@code -conf} JSON, then {@code WIKIRECENT_*}
 * environment variables: the later one wins.
 */
public final class Config {

  // The basic keys: port, feed, data directory, view source, Materialize, roles.
  public static final String HTTP_PORT = "http.port";
  public static final String STREAM_URL = "stream.url";
  public static final String DATA_DIR = "data.dir";
  public static final String SOURCE = "source";
  public static final String MATERIALIZE_URL = "materialize.url";
  public static final String ROLES = "roles";
  /** The parts {@link #ROLES} may name. */
  public static final java.util.List<String> ROLE_NAMES = java.util.List.of("ingest", "views", "web");

  // ingest: see IngestVerticle
  public static final String STREAM_USER_AGENT = "stream.userAgent";
  public static final String STREAM_IDLE_TIMEOUT_SECONDS = "stream.idleTimeoutSeconds";
  public static final String INGEST_FSYNC_MILLIS = "ingest.fsyncMillis";
  public static final String INGEST_DEDUPE_WINDOW = "ingest.dedupeWindow";
  public static final String INGEST_MAX_EVENT_BYTES = "ingest.maxEventBytes";
  public static final String INGEST_MAX_QUEUED_BYTES = "ingest.maxQueuedBytes";
  public static final String INGEST_BACKOFF_MILLIS = "ingest.backoffMillis";
  public static final String INGEST_BACKOFF_MAX_MILLIS = "ingest.backoffMaxMillis";
  public static final String INGEST_THROTTLE_BACKOFF_MILLIS = "ingest.throttleBackoffMillis";
  public static final String INGEST_MIN_FREE_MEGABYTES = "ingest.minFreeMegabytes";
  /** An SSE id longer than this (UTF-8 bytes) is not sent back as Last-Event-ID: ingest resumes by time instead. */
  public static final String STREAM_MAX_RESUME_ID_BYTES = "stream.maxResumeIdBytes";
  /** On a fresh (empty or absent) file, start this many minutes back ({@code ?since=}); 0 starts at the live edge. */
  public static final String STREAM_BACKFILL_MINUTES = "stream.backfillMinutes";

  // embedded engine
  /** Fallback poll of the file when no append hint arrives (ms). */
  public static final String ENGINE_POLL_MILLIS = "engine.pollMillis";
  /** At most one checkpoint per this many ms (and one on stop). */
  public static final String ENGINE_CHECKPOINT_MILLIS = "engine.checkpointMillis";
  /** Bytes one read step takes from the file, which bounds a batch. */
  public static final String ENGINE_BATCH_MAX_BYTES = "engine.batchMaxBytes";

  // Materialize tail
  /** Reconnect back-off to Materialize: the first wait, and the cap it doubles up to (with jitter). */
  public static final String MATERIALIZE_RETRY_MIN_MILLIS = "materialize.retryMinMillis";
  public static final String MATERIALIZE_RETRY_MAX_MILLIS = "materialize.retryMaxMillis";
  /** A connect, statement or FETCH taking longer than this means a dead connection: start over. */
  public static final String MATERIALIZE_STALL_MILLIS = "materialize.stallMillis";

  // views: shaped parameter sets, whichever source serves them
  /** Live non-default parameter sets a view source keeps at most; a request for one more is refused (429). */
  public static final String VIEWS_MAX_INSTANCES = "views.maxInstances";
  /** A non-default set no web node asked for (snapshot request or keep-alive) this long is dropped. */
  public static final String VIEWS_INSTANCE_IDLE_SECONDS = "views.instanceIdleSeconds";
  /** How often a web node tells the source which non-default sets it still holds ({@code views.wanted}). */
  public static final String VIEWS_KEEP_ALIVE_MILLIS = "views.keepAliveMillis";

  // web
  /** Bytes queued towards one browser/curl client before it stops getting batches (and later gets a fresh snapshot). */
  public static final String WEB_CLIENT_QUEUE_BYTES = "web.clientQueueBytes";
  /** A client whose queue stays full this long is disconnected. */
  public static final String WEB_STUCK_CLIENT_MILLIS = "web.stuckClientMillis";
  /** How long /health waits for a part's status answer (on a web node, and on the status server of a node without web). */
  public static final String WEB_STATUS_TIMEOUT_MILLIS = "web.statusTimeoutMillis";
  /** A connection waiting for its next request (not streaming) this long after its last response is closed. */
  public static final String WEB_IDLE_TIMEOUT_SECONDS = "web.idleTimeoutSeconds";
  /** A new connection that has not sent a complete request head this long after connecting is closed (slowloris). */
  public static final String WEB_REQUEST_HEAD_TIMEOUT_SECONDS = "web.requestHeadTimeoutSeconds";
  /** Open connections (streams included) past which a new one is closed at once; 0: the open-file limit less a reserve. */
  public static final String WEB_MAX_CONNECTIONS = "web.maxConnections";
  /** Origins whose pages may use the REST API, the stream and SockJS: {@code *}, or a comma-separated list. */
  public static final String WEB_ALLOWED_ORIGINS = "web.allowedOrigins";
  /** A directory to serve the page from instead of the jar's copy; empty: the jar's. */
  public static final String WEB_ROOT = "web.root";
  /** A replica of a shaped view that no client of this node follows any more is dropped after this long. */
  public static final String WEB_REPLICA_LINGER_SECONDS = "web.replicaLingerSeconds";
  /** Replicas of shaped views one web node holds at most; past it, a new one is refused (429) unless a lingering one can go. */
  public static final String WEB_MAX_REPLICAS = "web.maxReplicas";
  /** How long a REST request, a stream or a bridge snapshot request waits for a shaped view to be opened before a 503. */
  public static final String WEB_OPEN_TIMEOUT_MILLIS = "web.openTimeoutMillis";

  // cluster (only with the launcher's -cluster): see conf/cluster.xml and wikirecent.cluster.Cluster
  /** Nodes join only a cluster of the same name, so two clusters on one network stay apart. */
  public static final String CLUSTER_NAME = "cluster.name";
  /** Where to look for the other nodes: comma-separated {@code host[:port]} (Hazelcast's TCP/IP join; no multicast). */
  public static final String CLUSTER_MEMBERS = "cluster.members";
  /** The address this node binds and advertises, for Hazelcast and the event bus alike; {@code auto}: a non-loopback interface. */
  public static final String CLUSTER_HOST = "cluster.host";
  /** Hazelcast's port; the next free one is taken when it is in use (several nodes on one host). */
  public static final String CLUSTER_PORT = "cluster.port";

  public static final String FILE_NAME = "recentchanges";

  /** The lowest and highest value of each number (ports, counts, sizes, times): checked once, here, for every part. */
  private record Range(long min, long max) {
  }

  private static final long MAX = Integer.MAX_VALUE; // every number fits an int, and seconds times 1000 a long
  private static final Map<String, Range> RANGES = Map.ofEntries(
    Map.entry(HTTP_PORT, new Range(0, 65_535)), // 0: any free port
    Map.entry(CLUSTER_PORT, new Range(1, 65_535)),
    Map.entry(STREAM_IDLE_TIMEOUT_SECONDS, new Range(0, MAX)), // 0: never cut a quiet stream
    Map.entry(STREAM_MAX_RESUME_ID_BYTES, new Range(0, MAX)),
    Map.entry(STREAM_BACKFILL_MINUTES, new Range(0, MAX)), // 0: start at the live edge
    Map.entry(INGEST_FSYNC_MILLIS, new Range(-1, MAX)), // -1: never, 0: after every record
    Map.entry(INGEST_DEDUPE_WINDOW, new Range(1, MAX)),
    // below a real event's size every event would be dropped; above 2^28 - 1 bytes, the longest string PostgreSQL's jsonb
    // takes, an event ingest keeps could fail data::jsonb
    Map.entry(INGEST_MAX_EVENT_BYTES, new Range(1024, (1 << 28) - 1)),
    Map.entry(INGEST_MAX_QUEUED_BYTES, new Range(1, MAX)),
    Map.entry(INGEST_BACKOFF_MILLIS, new Range(1, MAX)),
    Map.entry(INGEST_BACKOFF_MAX_MILLIS, new Range(1, MAX)),
    Map.entry(INGEST_THROTTLE_BACKOFF_MILLIS, new Range(1, MAX)),
    Map.entry(INGEST_MIN_FREE_MEGABYTES, new Range(0, MAX)),
    Map.entry(ENGINE_POLL_MILLIS, new Range(1, MAX)),
    Map.entry(ENGINE_CHECKPOINT_MILLIS, new Range(1, MAX)),
    Map.entry(ENGINE_BATCH_MAX_BYTES, new Range(1024, 1 << 30)), // its buffer is allocated at start: MAX overflowed
    Map.entry(MATERIALIZE_RETRY_MIN_MILLIS, new Range(1, MAX)),
    Map.entry(MATERIALIZE_RETRY_MAX_MILLIS, new Range(1, MAX)),
    Map.entry(MATERIALIZE_STALL_MILLIS, new Range(1, MAX)),
    Map.entry(VIEWS_MAX_INSTANCES, new Range(0, MAX)), // 0: the default sets only
    Map.entry(VIEWS_INSTANCE_IDLE_SECONDS, new Range(1, MAX)),
    Map.entry(VIEWS_KEEP_ALIVE_MILLIS, new Range(1, MAX)),
    Map.entry(WEB_CLIENT_QUEUE_BYTES, new Range(1, MAX)),
    Map.entry(WEB_STUCK_CLIENT_MILLIS, new Range(1, MAX)),
    Map.entry(WEB_STATUS_TIMEOUT_MILLIS, new Range(1, MAX)),
    Map.entry(WEB_IDLE_TIMEOUT_SECONDS, new Range(1, MAX)),
    Map.entry(WEB_REQUEST_HEAD_TIMEOUT_SECONDS, new Range(1, MAX)),
    Map.entry(WEB_MAX_CONNECTIONS, new Range(0, MAX)), // 0: the open-file limit less a reserve
    Map.entry(WEB_REPLICA_LINGER_SECONDS, new Range(0, MAX)), // 0: drop at once
    Map.entry(WEB_MAX_REPLICAS, new Range(0, MAX)), // 0: no shaped view on this node
    Map.entry(WEB_OPEN_TIMEOUT_MILLIS, new Range(1, MAX)));
  /** Pairs whose first may not exceed its second. */
  private static final List<List<String>> ORDERED = List.of(List.of(INGEST_BACKOFF_MILLIS, INGEST_BACKOFF_MAX_MILLIS),
    List.of(MATERIALIZE_RETRY_MIN_MILLIS, MATERIALIZE_RETRY_MAX_MILLIS));
  /** Read by logback.xml: the root logger's level. */
  public static final String LOG_LEVEL_VARIABLE = "WIKIRECENT_LOG_LEVEL";
  /** What logback takes for a level; it reads anything else, a misspelt WARN too, as DEBUG. */
  private static final Set<String> LOG_LEVELS = Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF", "ALL");
  /** Environment variables of ours that are not keys: read by logback.xml, and by the tests. */
  private static final Set<String> OTHER_VARIABLES = Set.of(LOG_LEVEL_VARIABLE, "WIKIRECENT_CI");

  private final JsonObject json;

  private Config(JsonObject json) {
    this.json = json;
  }

  /**
   * Wraps the merged configuration a verticle receives in {@code config()}, after checking every number in it:
   * IllegalArgumentException naming the key and its variable if one is not a whole number in its range, so a
   * value that cannot work stops the start instead of failing each request later.
   */
  public static Config of(JsonObject json) {
    Config config = new Config(json);
    for (Map.Entry<String, Range> e : RANGES.entrySet()) {
      if (json.containsKey(e.getKey())) {
        config.checked(e.getKey(), e.getValue());
      }
    }
    if (json.getValue(DATA_DIR) instanceof String dir && dir.isBlank()) {
      // Taken as it is, an empty one put recentchanges in the working directory, and " " made a directory of that name.
      throw new IllegalArgumentException(DATA_DIR + " (" + envName(DATA_DIR) + ") may not be empty: it names the directory of "
        + FILE_NAME);
    }
    for (List<String> pair : ORDERED) {
      if (json.containsKey(pair.get(0)) && json.containsKey(pair.get(1))) {
        long first = config.longValue(pair.get(0));
        long second = config.longValue(pair.get(1));
        if (first > second) {
          throw new IllegalArgumentException(pair.get(0) + " (" + first + ") may not exceed " + pair.get(1) + " (" + second + ")");
        }
      }
    }
    return config;
  }

  /**
   * Defaults, then {@code overrides} (may be null), then the environment. IllegalArgumentException for an
   * override that is no key: a misspelt one would otherwise leave its default in force without a word.
   */
  public static JsonObject load(JsonObject overrides, Map<String, String> env) {
    JsonObject merged = defaults();
    if (overrides != null) {
      List<String> unknown = overrides.fieldNames().stream().filter(k -> !merged.containsKey(k)).sorted().toList();
      if (!unknown.isEmpty()) {
        throw new IllegalArgumentException("unknown configuration key" + (unknown.size() > 1 ? "s " : " ") + unknown
          + ": the keys are those of conf/config.json");
      }
      merged.mergeIn(overrides);
    }
    for (String key : merged.fieldNames()) {
      String value = env.get(envName(key));
      if (value != null) {
        merged.put(key, convert(key, value, merged.getValue(key)));
      }
    }
    String level = env.get(LOG_LEVEL_VARIABLE);
    if (level != null && !LOG_LEVELS.contains(level.trim().toUpperCase(java.util.Locale.ROOT))) {
      throw new IllegalArgumentException(LOG_LEVEL_VARIABLE + " is '" + level + "': one of TRACE, DEBUG, INFO, WARN, ERROR, OFF"
        + " or ALL (logback would log at DEBUG)");
    }
    return merged;
  }

  public static JsonObject defaults() {
    try (InputStream in = Config.class.getResourceAsStream("/conf/config.json")) {
      if (in == null) {
        throw new IllegalStateException("conf/config.json is missing from the classpath");
      }
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The {@code WIKIRECENT_*} variables in {@code env} that name none of this configuration's keys (a misspelling, most
   * likely), sorted. On a {@link #load}ed configuration those are the keys of the defaults.
   */
  public List<String> unknownVariables(Map<String, String> env) {
    Set<String> known = new java.util.HashSet<>(OTHER_VARIABLES);
    json.fieldNames().forEach(k -> known.add(envName(k)));
    return env.keySet().stream().filter(v -> v.startsWith("WIKIRECENT_") && !known.contains(v)).sorted().toList();
  }

  /** {@code stream.userAgent} becomes {@code WIKIRECENT_STREAM_USER_AGENT}. */
  public static String envName(String key) {
    StringBuilder sb = new StringBuilder("WIKIRECENT_");
    for (char c : key.toCharArray()) {
      if (c == '.' || c == '-') {
        sb.append('_');
      } else if (Character.isUpperCase(c)) {
        sb.append('_').append(c);
      } else {
        sb.append(Character.toUpperCase(c));
      }
    }
    return sb.toString();
  }

  private static Object convert(String key, String value, Object template) {
    try {
      if (template instanceof Integer || template instanceof Long) {
        long n = Long.parseLong(value.trim()); // its range is checked with the other sources' values
        return template instanceof Integer && n == (int) n ? (Object) (int) n : (Object) n;
      } else if (template instanceof Double) {
        return Double.parseDouble(value.trim());
      } else if (template instanceof Boolean) {
        return Boolean.parseBoolean(value.trim());
      }
      return value;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(envName(key) + "=" + value + " is not a whole number (" + key + ")", e);
    }
  }

  public JsonObject json() {
    return json;
  }

  public String string(String key) {
    Object v = json.getValue(key);
    if (v == null) {
      throw new IllegalArgumentException("missing configuration key " + key);
    }
    return v.toString();
  }

  public int integer(String key) {
    return Math.toIntExact(longValue(key));
  }

  public long longValue(String key) {
    return checked(key, RANGES.getOrDefault(key, new Range(Long.MIN_VALUE, Long.MAX_VALUE)));
  }

  // A whole number (a JSON number, or text holding one, as -conf may give) within the range.
  private long checked(String key, Range range) {
    Object v = json.getValue(key);
    Long n = null;
    if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
      n = ((Number) v).longValue();
    } else if (v instanceof Number d && Math.rint(d.doubleValue()) == d.doubleValue() && Math.abs(d.doubleValue()) < 0x1p53) {
      n = (long) d.doubleValue();
    } else if (v instanceof String text) {
      try {
        n = Long.parseLong(text.trim());
      } catch (NumberFormatException e) {
        n = null;
      }
    }
    if (n == null || n < range.min() || n > range.max()) {
      String bounds = range.max() == Long.MAX_VALUE ? "" : " from " + range.min() + " to " + range.max();
      throw new IllegalArgumentException(key + " (" + envName(key) + ") must be a whole number" + bounds + ", not "
        + (v instanceof String ? "'" + v + "'" : v));
    }
    return n;
  }

  /** The parts this process runs: a non-empty subset of {@link #ROLE_NAMES}, in the order given. */
  public java.util.Set<String> roles() {
    String spec = string(ROLES);
    java.util.Set<String> roles = new java.util.LinkedHashSet<>();
    java.util.List<String> unknown = new java.util.ArrayList<>();
    for (String r : spec.split(",")) {
      String role = r.trim();
      if (ROLE_NAMES.contains(role)) {
        roles.add(role);
      } else if (!role.isEmpty()) {
        unknown.add(role);
      }
    }
    if (!unknown.isEmpty() || roles.isEmpty()) {
      throw new IllegalArgumentException("roles must be a comma-separated subset of " + ROLE_NAMES + ", not '" + spec + "'");
    }
    return roles;
  }

  public java.nio.file.Path recentChangesFile() {
    return java.nio.file.Path.of(string(DATA_DIR), FILE_NAME);
  }
}
