package wikirecent.config;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

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

  private final JsonObject json;

  private Config(JsonObject json) {
    this.json = json;
  }

  /** Wraps the merged configuration a verticle receives in {@code config()}. */
  public static Config of(JsonObject json) {
    return new Config(json);
  }

  /** Defaults, then {@code overrides} (may be null), then the environment. */
  public static JsonObject load(JsonObject overrides, Map<String, String> env) {
    JsonObject merged = defaults();
    if (overrides != null) {
      merged.mergeIn(overrides);
    }
    for (String key : merged.fieldNames()) {
      String value = env.get(envName(key));
      if (value != null) {
        merged.put(key, convert(key, value, merged.getValue(key)));
      }
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
      if (template instanceof Integer) {
        return Integer.parseInt(value.trim());
      } else if (template instanceof Long) {
        return Long.parseLong(value.trim());
      } else if (template instanceof Double) {
        return Double.parseDouble(value.trim());
      } else if (template instanceof Boolean) {
        return Boolean.parseBoolean(value.trim());
      }
      return value;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(envName(key) + "=" + value + " is not a number (" + key + ")", e);
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
    return number(key).intValue();
  }

  public long longValue(String key) {
    return number(key).longValue();
  }


  private Number number(String key) {
    Object v = json.getValue(key);
    if (v instanceof Number) {
      return (Number) v;
    }
    try {
      return Long.parseLong(string(key).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be a number, not " + v, e);
    }
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
