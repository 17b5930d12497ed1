package wikirecent.config;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigTest {

  @Test
  void environmentNamesFollowTheKeys() {
    assertThat(Config.envName("http.port")).isEqualTo("WIKIRECENT_HTTP_PORT");
    assertThat(Config.envName("stream.url")).isEqualTo("WIKIRECENT_STREAM_URL");
    assertThat(Config.envName("data.dir")).isEqualTo("WIKIRECENT_DATA_DIR");
    assertThat(Config.envName("materialize.url")).isEqualTo("WIKIRECENT_MATERIALIZE_URL");
    assertThat(Config.envName("stream.userAgent")).isEqualTo("WIKIRECENT_STREAM_USER_AGENT");
  }

  @Test
  void defaultsAreTheDesignCards() {
    Config c = Config.of(Config.load(null, Map.of()));
    assertThat(c.integer(Config.HTTP_PORT)).isEqualTo(8875);
    assertThat(c.string(Config.STREAM_URL)).isEqualTo("https://stream.wikimedia.org/v2/stream/recentchange");
    assertThat(c.string(Config.DATA_DIR)).isEqualTo("data");
    assertThat(c.string(Config.SOURCE)).isEqualTo("embedded");
    assertThat(c.string(Config.MATERIALIZE_URL)).isEqualTo("postgresql://materialize@localhost:6875/materialize");
    assertThat(c.string(Config.ROLES)).isEqualTo("ingest,views,web");
    assertThat(c.recentChangesFile().toString()).isEqualTo("data/recentchanges");
  }

  @Test
  void ingestResumesFromAtMost4KbIdsAndAFreshFileStartsAnHourBack() {
    Config c = Config.of(Config.load(null, Map.of("WIKIRECENT_STREAM_BACKFILL_MINUTES", "0")));
    assertThat(c.integer(Config.STREAM_MAX_RESUME_ID_BYTES)).isEqualTo(4096);
    assertThat(c.longValue(Config.STREAM_BACKFILL_MINUTES)).isZero();
    assertThat(Config.of(Config.load(null, Map.of())).longValue(Config.STREAM_BACKFILL_MINUTES)).isEqualTo(60);
  }

  @Test
  void parameterisedViewsAreCappedAt200AndDroppedAfterAMinuteIdle() {
    Config defaults = Config.of(Config.load(null, Map.of()));
    assertThat(defaults.integer(Config.VIEWS_MAX_INSTANCES)).isEqualTo(200);
    assertThat(defaults.longValue(Config.VIEWS_INSTANCE_IDLE_SECONDS)).isEqualTo(60);
    Config c = Config.of(Config.load(null, Map.of("WIKIRECENT_VIEWS_MAX_INSTANCES", "5", "WIKIRECENT_VIEWS_INSTANCE_IDLE_SECONDS", "7")));
    assertThat(c.integer(Config.VIEWS_MAX_INSTANCES)).isEqualTo(5);
    assertThat(c.longValue(Config.VIEWS_INSTANCE_IDLE_SECONDS)).isEqualTo(7);
  }

  @Test
  void environmentBeatsConfFileBeatsDefaults() {
    JsonObject conf = new JsonObject().put("http.port", 9000).put("data.dir", "/tmp/x");
    Config c = Config.of(Config.load(conf, Map.of("WIKIRECENT_HTTP_PORT", "9100", "WIKIRECENT_SOURCE", "materialize")));
    assertThat(c.integer(Config.HTTP_PORT)).isEqualTo(9100);
    assertThat(c.json().getValue(Config.HTTP_PORT)).isInstanceOf(Integer.class);
    assertThat(c.string(Config.DATA_DIR)).isEqualTo("/tmp/x");
    assertThat(c.string(Config.SOURCE)).isEqualTo("materialize");
  }

  @Test
  void aBadNumberInTheEnvironmentSaysWhichVariable() {
    assertThatThrownBy(() -> Config.load(null, Map.of("WIKIRECENT_HTTP_PORT", "eighty")))
      .hasMessageContaining("WIKIRECENT_HTTP_PORT=eighty");
  }

  /** Every number of conf/config.json, with a value it cannot take: each stops the start, naming the key. */
  @Test
  void aNumberOutOfItsRangeStopsTheStartNamingTheKeyAndItsVariable() {
    Map<String, Object> bad = new java.util.LinkedHashMap<>();
    bad.put("http.port", 65_536);
    bad.put("cluster.port", 0);
    bad.put("stream.idleTimeoutSeconds", -1);
    bad.put("stream.maxResumeIdBytes", -1);
    bad.put("stream.backfillMinutes", -5);
    bad.put("ingest.fsyncMillis", -2);
    bad.put("ingest.dedupeWindow", 0);
    bad.put("ingest.maxEventBytes", 1023);
    bad.put("ingest.maxQueuedBytes", 0);
    bad.put("ingest.backoffMillis", 0);
    bad.put("ingest.backoffMaxMillis", 0);
    bad.put("ingest.throttleBackoffMillis", 0);
    bad.put("ingest.minFreeMegabytes", -1);
    bad.put("engine.pollMillis", 0);
    bad.put("engine.checkpointMillis", 0);
    bad.put("engine.batchMaxBytes", 1000);
    bad.put("materialize.retryMinMillis", 0);
    bad.put("materialize.retryMaxMillis", 0);
    bad.put("materialize.stallMillis", 0);
    bad.put("views.maxInstances", -1);
    bad.put("views.instanceIdleSeconds", 0);
    bad.put("views.keepAliveMillis", 0);
    bad.put("web.clientQueueBytes", 0);
    bad.put("web.stuckClientMillis", 0);
    bad.put("web.statusTimeoutMillis", 0);
    bad.put("web.idleTimeoutSeconds", 0);
    bad.put("web.requestHeadTimeoutSeconds", 0);
    bad.put("web.maxConnections", -1);
    bad.put("web.replicaLingerSeconds", -1);
    bad.put("web.maxReplicas", -1);
    bad.put("web.openTimeoutMillis", 0);
    JsonObject defaults = Config.defaults();
    for (String key : defaults.fieldNames()) {
      if (defaults.getValue(key) instanceof Number) {
        assertThat(bad).as("a bad value for every number of the defaults").containsKey(key);
      }
    }
    bad.forEach((key, value) -> refused(key, value));
    refused("engine.batchMaxBytes", (1 << 30) + 1); // at MAX its buffer's size overflowed at start
    refused("ingest.maxEventBytes", 1 << 28); // past PostgreSQL's longest jsonb: Materialize would refuse what ingest kept
    assertThat(Config.of(Config.load(new JsonObject().put("ingest.maxEventBytes", (1 << 28) - 1), Map.of()))
      .integer("ingest.maxEventBytes")).isEqualTo((1 << 28) - 1);
  }

  /** A misspelt level is refused: logback reads anything it does not know as DEBUG, and says nothing. */
  @Test
  void aLogLevelLogbackWouldReadAsDebugIsRefused() {
    for (String bad : new String[] {"warning", "ERRORS", "", " "}) {
      assertThatThrownBy(() -> Config.load(null, Map.of("WIKIRECENT_LOG_LEVEL", bad))).as("'" + bad + "'")
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("WIKIRECENT_LOG_LEVEL is '" + bad + "': one of TRACE, DEBUG, INFO, WARN, ERROR, OFF or ALL (logback would log"
          + " at DEBUG)");
    }
    for (String good : new String[] {"WARN", "debug", "Error", "OFF", " INFO "}) { // logback trims it
      assertThat(Config.load(null, Map.of("WIKIRECENT_LOG_LEVEL", good))).as(good).isEqualTo(Config.defaults());
    }
  }

  @Test
  void anEmptyDataDirIsRefused() {
    for (String blank : new String[] {"", " "}) {
      assertThatThrownBy(() -> Config.of(Config.load(null, Map.of("WIKIRECENT_DATA_DIR", blank)))).as("'" + blank + "'")
        .isInstanceOf(IllegalArgumentException.class).hasMessage("data.dir (WIKIRECENT_DATA_DIR) may not be empty: it names the directory"
          + " of recentchanges");
    }
    assertThat(Config.of(Config.load(null, Map.of("WIKIRECENT_DATA_DIR", "d"))).recentChangesFile()).isEqualTo(java.nio.file.Path.of("d",
      "recentchanges"));
  }

  private static void refused(String key, Object value) {
    JsonObject conf = Config.load(new JsonObject().put(key, value), Map.of());
    assertThatThrownBy(() -> Config.of(conf)).as(key + "=" + value)
      .isInstanceOf(IllegalArgumentException.class)
      .hasMessageStartingWith(key + " (" + Config.envName(key) + ") must be a whole number from ")
      .hasMessageEndingWith(", not " + value);
  }

  @Test
  void theLowestValueOfEachRangeIsTaken() {
    JsonObject low = new JsonObject().put("http.port", 0).put("stream.idleTimeoutSeconds", 0).put("ingest.fsyncMillis", -1)
      .put("ingest.maxEventBytes", 1024).put("engine.batchMaxBytes", 1024).put("views.maxInstances", 0)
      .put("web.maxConnections", 0).put("web.replicaLingerSeconds", 0).put("web.maxReplicas", 0).put("ingest.backoffMillis", 1)
      .put("web.statusTimeoutMillis", 1).put("cluster.port", 65_535);
    Config c = Config.of(Config.load(low, Map.of()));
    low.forEach(e -> assertThat(c.longValue(e.getKey())).as(e.getKey()).isEqualTo(((Number) e.getValue()).longValue()));
  }

  @Test
  void aNumberThatIsNotWholeOrTooLargeForItsKeyIsRefusedNotCut() {
    // 2^32 once became 0 (intValue), and 8080.9 became 8080.
    for (Object value : new Object[]{4_294_967_296L, 2_147_483_648L, 8080.9, "x", "", true, new JsonObject()}) {
      JsonObject conf = Config.load(new JsonObject().put("web.clientQueueBytes", value), Map.of());
      assertThatThrownBy(() -> Config.of(conf)).as(String.valueOf(value))
        .hasMessageStartingWith("web.clientQueueBytes (WIKIRECENT_WEB_CLIENT_QUEUE_BYTES) must be a whole number");
    }
    assertThatThrownBy(() -> Config.of(Config.load(null, Map.of("WIKIRECENT_WEB_CLIENT_QUEUE_BYTES", "4294967296"))))
      .hasMessage("web.clientQueueBytes (WIKIRECENT_WEB_CLIENT_QUEUE_BYTES) must be a whole number from 1 to 2147483647, not 4294967296");
    assertThatThrownBy(() -> Config.load(null, Map.of("WIKIRECENT_WEB_CLIENT_QUEUE_BYTES", "1.5")))
      .hasMessage("WIKIRECENT_WEB_CLIENT_QUEUE_BYTES=1.5 is not a whole number (web.clientQueueBytes)");
    // A whole number written as 9000.0, or as text, is that number.
    Config c = Config.of(Config.load(new JsonObject().put("http.port", 9000.0).put("web.maxReplicas", " 7 "), Map.of()));
    assertThat(c.integer(Config.HTTP_PORT)).isEqualTo(9000);
    assertThat(c.integer(Config.WEB_MAX_REPLICAS)).isEqualTo(7);
  }

  @Test
  void aBackOffsFirstWaitMayNotExceedItsCap() {
    assertThatThrownBy(() -> Config.of(Config.load(new JsonObject().put("ingest.backoffMillis", 5000)
      .put("ingest.backoffMaxMillis", 4000), Map.of())))
      .hasMessage("ingest.backoffMillis (5000) may not exceed ingest.backoffMaxMillis (4000)");
    assertThatThrownBy(() -> Config.of(Config.load(null, Map.of("WIKIRECENT_MATERIALIZE_RETRY_MIN_MILLIS", "20000"))))
      .hasMessage("materialize.retryMinMillis (20000) may not exceed materialize.retryMaxMillis (10000)");
  }

  @Test
  void aKeyThatIsNoneOfOursIsRefusedAndAVariableThatIsNoneIsNamed() {
    assertThatThrownBy(() -> Config.load(new JsonObject().put("http_port", 9000).put("web.idleTimeout", 5), Map.of()))
      .hasMessage("unknown configuration keys [http_port, web.idleTimeout]: the keys are those of conf/config.json");
    assertThat(Config.of(Config.load(null, Map.of())).unknownVariables(Map.of("WIKIRECENT_STREAM_USERAGENT", "x", "WIKIRECENT_HTTP_PORT", "1",
      "WIKIRECENT_LOG_LEVEL", "debug", "WIKIRECENT_HTTP_PROT", "2", "PATH", "/bin")))
      .containsExactly("WIKIRECENT_HTTP_PROT", "WIKIRECENT_STREAM_USERAGENT");
  }

  @Test
  void rolesAreASubsetOfThePartsInTheOrderGiven() {
    assertThat(Config.of(Config.load(new JsonObject().put(Config.ROLES, " web, views ,web"), Map.of())).roles())
      .containsExactly("web", "views");
    for (String bad : new String[]{"", " , ", "views,engine"}) {
      Config c = Config.of(Config.load(new JsonObject().put(Config.ROLES, bad), Map.of()));
      assertThatThrownBy(c::roles).hasMessage("roles must be a comma-separated subset of [ingest, views, web], not '" + bad + "'");
    }
  }
}
