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
