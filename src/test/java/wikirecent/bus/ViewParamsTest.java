package wikirecent.bus;

import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import wikirecent.bus.ViewParams.View;
import wikirecent.bus.ViewParams.Window;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ViewParamsTest {

  @Test
  void aRowFitsItsViewWithAValueOfEachColumnsType() {
    assertThat(View.COUNTER.fits(new JsonArray("[42]"))).isTrue();
    assertThat(View.USER_EDITS.fits(new JsonArray("[\"Alice\", 3]"))).isTrue();
    assertThat(View.USER_EDITS.fits(new JsonArray("[null, 3]"))).as("the NULL user").isTrue();
    assertThat(View.TOP_WIKIS.fits(new JsonArray("[\"enwiki\", 9000000000]"))).isTrue();
    assertThat(View.EDITS_PER_MINUTE.fits(new JsonArray("[1732512000, false, 7]"))).isTrue();
    for (String row : new String[]{"[]", "[\"Alice\"]", "[\"Alice\", 3, 4]", "[3, 3]", "[\"Alice\", \"3\"]",
      "[\"Alice\", 3.5]", "[\"Alice\", null]", "[\"Alice\", true]", "[[\"Alice\"], 3]", "[{\"a\": 1}, 3]"}) {
      assertThat(View.USER_EDITS.fits(new JsonArray(row))).as(row).isFalse();
    }
    for (String row : new String[]{"[1732512000, \"false\", 7]", "[1732512000, null, 7]", "[null, false, 7]", "[1732512000, 0, 7]"}) {
      assertThat(View.EDITS_PER_MINUTE.fits(new JsonArray(row))).as(row).isFalse();
    }
    assertThat(View.COUNTER.fits(new JsonArray("[\"42\"]"))).isFalse();
  }

  @Test
  void theCanonicalTextListsNonDefaultKeysInOrder() {
    assertThat(ViewParams.of(View.TOP10).toString()).isEqualTo("top10");
    assertThat(new ViewParams(View.TOP10, "enwiki", false, Window.HOUR).toString()).isEqualTo("top10?wiki=enwiki&bot=false&window=1h");
    assertThat(ViewParams.of(View.COUNTER).withWindow(Window.FIVE_MINUTES).withBot(true).toString()).isEqualTo("counter?bot=true&window=5m");
    assertThat(ViewParams.of(View.EDITS_PER_MINUTE).toString()).isEqualTo("edits_per_minute");
    assertThat(ViewParams.of(View.EDITS_PER_MINUTE).withWiki("dewiki").toString()).isEqualTo("edits_per_minute?wiki=dewiki");
    assertThat(ViewParams.of(View.TOP_WIKIS).withWindow(Window.DAY).toString()).isEqualTo("top_wikis?window=24h");
  }

  @Test
  void theTextReadsBackInAnyKeyOrder() {
    for (String text : List.of("top10", "top10?wiki=enwiki&bot=false&window=1h", "counter?window=24h", "top_wikis?bot=true",
      "edits_per_minute?wiki=a_1", "user_edits", "counter?wiki=" + "x".repeat(64))) {
      assertThat(ViewParams.parse(text).toString()).isEqualTo(text);
    }
    assertThat(ViewParams.parse("top10?window=1h&bot=false&wiki=enwiki")).isEqualTo(new ViewParams(View.TOP10, "enwiki", false, Window.HOUR));
    assertThat(ViewParams.parse("top10?wiki=any&bot=any&window=all")).isEqualTo(ViewParams.of(View.TOP10));
    assertThat(ViewParams.of(View.EDITS_PER_MINUTE).window()).isEqualTo(Window.HOUR);
  }

  @Test
  void aQueryMapOrVertxMultiMapParses() {
    Map<String, String> q = new LinkedHashMap<>();
    q.put("bot", "true");
    q.put("wiki", "enwiki");
    assertThat(ViewParams.parse("counter", q.entrySet())).isEqualTo(ViewParams.of(View.COUNTER).withWiki("enwiki").withBot(true));
    MultiMap m = MultiMap.caseInsensitiveMultiMap().add("window", "5m").add("window", "1h");
    assertThatThrownBy(() -> ViewParams.parse("counter", m)).hasMessage("window given twice");
  }

  @Test
  void messagesCarryTheNonDefaultKeys() {
    assertThat(ViewParams.of(View.TOP10).toJson()).isEqualTo(new JsonObject());
    assertThat(new ViewParams(View.TOP10, "enwiki", false, Window.HOUR).toJson().encode())
      .isEqualTo("{\"wiki\":\"enwiki\",\"bot\":false,\"window\":\"1h\"}");
    assertThat(ViewParams.of(View.EDITS_PER_MINUTE).toJson()).isEqualTo(new JsonObject());
    assertThat(ViewParams.of(View.COUNTER).isDefault()).isTrue();
    assertThat(ViewParams.of(View.COUNTER).withBot(false).isDefault()).isFalse();
  }

  @Test
  void badParametersSayWhatIsWrong() {
    assertError("nope", "unknown view 'nope' (views: counter, user_edits, top10, top_wikis, edits_per_minute, wiki_edits)");
    assertError("top10?wiki=EN", "wiki must match [a-z0-9_]{1,64}, not 'EN'");
    assertError("top10?wiki=", "wiki must match [a-z0-9_]{1,64}, not ''");
    assertError("top10?wiki=" + "x".repeat(65), "wiki must match [a-z0-9_]{1,64}, not '" + "x".repeat(65) + "'");
    assertError("top10?wiki=en-wiki", "wiki must match [a-z0-9_]{1,64}, not 'en-wiki'");
    assertError("top10?bot=yes", "bot must be true, false or any, not 'yes'");
    assertError("top10?window=2h", "window must be 5m, 1h, 24h or all, not '2h'");
    assertError("top10?user=x", "top10 takes wiki, bot and window, not 'user'");
    assertError("top10?wiki=a&wiki=b", "wiki given twice");
    assertError("top10?wiki", "'wiki' is not key=value");
    assertError("edits_per_minute?bot=true", "edits_per_minute takes only wiki, not 'bot'");
    assertError("edits_per_minute?window=1h", "edits_per_minute takes only wiki, not 'window'");
    assertError("user_edits?wiki=enwiki", "user_edits takes no parameters, not 'wiki'");
    assertError("wiki_edits?wiki=enwiki", "wiki_edits takes no parameters, not 'wiki'");
    assertError("wiki_edits?window=1h", "wiki_edits takes no parameters, not 'window'");
    assertThatThrownBy(() -> ViewParams.of(View.WIKI_EDITS).withWindow(Window.DAY)).hasMessage("wiki_edits takes no parameters");
    assertThatThrownBy(() -> ViewParams.of(View.USER_EDITS).withBot(true)).hasMessage("user_edits takes no parameters");
    assertThatThrownBy(() -> ViewParams.of(View.EDITS_PER_MINUTE).withWindow(Window.DAY))
      .hasMessageStartingWith("edits_per_minute takes only wiki");
    assertThatThrownBy(() -> ViewParams.of(View.TOP10).withWiki("any")).hasMessage("the wiki 'any' is written as no wiki");
  }

  @Test
  void aSnapshotRequestBodyIsNullOrTheParamsObject() {
    assertThat(ViewParams.fromJson("top10", null)).isEqualTo(ViewParams.of(View.TOP10));
    assertThat(ViewParams.fromJson("top10", new JsonObject())).isEqualTo(ViewParams.of(View.TOP10));
    ViewParams p = new ViewParams(View.TOP10, "enwiki", false, Window.HOUR);
    assertThat(ViewParams.fromJson("top10", p.toJson())).isEqualTo(p);
    assertThat(ViewParams.fromJson("counter", new JsonObject().put("window", "all").put("bot", "any"))).isEqualTo(ViewParams.of(View.COUNTER));
    assertThat(ViewParams.fromJson("wiki_edits", null)).isEqualTo(ViewParams.of(View.WIKI_EDITS));
    assertFromJson("top10", "top10", "the request body must be null or a params object like {\"wiki\":\"enwiki\",\"bot\":false,"
      + "\"window\":\"1h\"}, not top10");
    assertFromJson("top10", new JsonObject().put("bot", "false"), "bot must be true or false (JSON booleans), not false");
    assertFromJson("top10", new JsonObject().put("wiki", 5), "wiki must be a string, not 5");
    assertFromJson("top10", new JsonObject().put("window", "2h"), "window must be 5m, 1h, 24h or all, not '2h'");
    assertFromJson("top10", new JsonObject().put("user", 5), "top10 takes wiki, bot and window, not 'user'");
    assertFromJson("user_edits", new JsonObject().put("bot", true), "user_edits takes no parameters, not 'bot'");
    assertFromJson("nope", null, "unknown view 'nope' (views: counter, user_edits, top10, top_wikis, edits_per_minute, wiki_edits)");
  }

  @Test
  void aMessageNamesItsKey() {
    ViewParams p = new ViewParams(View.TOP_WIKIS, null, true, Window.FIVE_MINUTES);
    JsonObject m = ViewMessage.batch("top_wikis", 5, new io.vertx.core.json.JsonArray(), new io.vertx.core.json.JsonArray())
      .put(ViewMessage.PARAMS, p.toJson());
    assertThat(ViewMessage.key(m)).isEqualTo("top_wikis?bot=true&window=5m").isEqualTo(p.toString());
    assertThat(ViewMessage.key(ViewMessage.snapshot("top10", 5, new io.vertx.core.json.JsonArray()))).isEqualTo("top10");
    assertThat(Addresses.view(p)).isEqualTo("views.top_wikis?bot=true&window=5m");
  }

  @Test
  void theCatalogueListsEveryViewWithItsColumnsAndParams() {
    io.vertx.core.json.JsonArray all = ViewParams.catalogue();
    assertThat(all).hasSize(View.values().length);
    assertThat(all.getJsonObject(0).encode()).isEqualTo("{\"name\":\"counter\",\"columns\":[{\"name\":\"count\",\"type\":\"bigint\"}],"
      + "\"params\":[{\"name\":\"wiki\",\"type\":\"text\",\"pattern\":\"[a-z0-9_]{1,64}\",\"default\":\"any\"},"
      + "{\"name\":\"bot\",\"type\":\"boolean\",\"values\":[\"true\",\"false\",\"any\"],\"default\":\"any\"},"
      + "{\"name\":\"window\",\"type\":\"text\",\"values\":[\"5m\",\"1h\",\"24h\",\"all\"],\"default\":\"all\"}]}");
    assertThat(View.WIKI_EDITS.describe().encode()).isEqualTo("{\"name\":\"wiki_edits\",\"columns\":[{\"name\":\"wiki\",\"type\":\"text\"},"
      + "{\"name\":\"count\",\"type\":\"bigint\"}],\"params\":[]}");
    assertThat(View.EDITS_PER_MINUTE.describe().getJsonArray("params").size()).isEqualTo(1);
  }

  private static void assertFromJson(String view, Object body, String message) {
    assertThatThrownBy(() -> ViewParams.fromJson(view, body)).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
  }

  private static void assertError(String text, String message) {
    assertThatThrownBy(() -> ViewParams.parse(text)).as(text).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
  }
}
