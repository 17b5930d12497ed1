package wikirecent.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewParams;
import wikirecent.bus.ViewParams.View;
import wikirecent.bus.ViewParams.Window;
import wikirecent.bus.Views;
import wikirecent.engine.ShapedModel.Ev;
import wikirecent.replay.Sample;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ShapedCoreTest {

  private static final ViewParams COUNTER = ViewParams.of(View.COUNTER);
  private static final ViewParams TOP10 = ViewParams.of(View.TOP10);

  private final ShapedCore core = new ShapedCore();

  private void event(String user, String wiki, boolean bot, long ts) {
    core.apply(user, wiki, bot, ts);
  }

  private long count(ViewParams p) {
    return core.rows(p).getJsonArray(0).getLong(0);
  }

  private static ViewParams counter(Window w) {
    return COUNTER.withWindow(w);
  }

  @Test
  void theWindowsEdgeIsStrict() {
    core.open(counter(Window.FIVE_MINUTES), 0);
    event("a", "enwiki", false, 1000);
    event("a", "enwiki", false, 1299); // 1000 > 1299 - 300: still in
    assertThat(count(counter(Window.FIVE_MINUTES))).isEqualTo(2);
    event("a", "enwiki", false, 1300); // 1000 > 1300 - 300 is false: out
    assertThat(count(counter(Window.FIVE_MINUTES))).isEqualTo(2);
    event("a", "enwiki", false, 1000); // late, at the edge: not in
    assertThat(count(counter(Window.FIVE_MINUTES))).isEqualTo(2);
    event("a", "enwiki", false, 1001); // late, just inside
    assertThat(count(counter(Window.FIVE_MINUTES))).isEqualTo(3);
    core.open(counter(Window.FIVE_MINUTES).withWiki("enwiki"), 0);
    assertThat(count(counter(Window.FIVE_MINUTES).withWiki("enwiki"))).isEqualTo(3);
  }

  @Test
  void theWatermarkNeverMovesBackAndEventsWithoutTimeOnlyCountForAll() {
    for (Window w : Window.values()) {
      core.open(counter(w), 0);
    }
    event("a", null, false, EventParser.NO_TS);
    assertThat(core.watermark()).isEqualTo(EventParser.NO_TS);
    assertThat(count(counter(Window.ALL))).isEqualTo(1);
    assertThat(count(counter(Window.DAY))).isZero();
    event("a", null, false, 2000);
    event("a", null, false, 1900);
    assertThat(core.watermark()).isEqualTo(2000);
    event("a", null, false, EventParser.NO_TS);
    assertThat(core.watermark()).isEqualTo(2000);
    assertThat(count(counter(Window.FIVE_MINUTES))).isEqualTo(2);
    event("a", null, false, 1000); // late: out of 5m, in 1h
    assertThat(count(counter(Window.FIVE_MINUTES))).isEqualTo(2);
    assertThat(count(counter(Window.HOUR))).isEqualTo(3);
    assertThat(count(counter(Window.ALL))).isEqualTo(5);
  }

  @Test
  void anEventOlderThanADayIsOnlyCountedForAll() {
    core.open(counter(Window.DAY), 0);
    core.open(counter(Window.ALL), 0);
    event("a", "enwiki", false, 100_000);
    event("a", "enwiki", false, 100_000 - 86_400); // exactly a day late: outside every window
    event("a", "enwiki", false, 5);
    assertThat(core.windowEvents()).isEqualTo(1);
    assertThat(count(counter(Window.DAY))).isEqualTo(1);
    assertThat(count(counter(Window.ALL))).isEqualTo(3);
    event("a", "enwiki", false, 100_000 - 86_399);
    assertThat(core.windowEvents()).isEqualTo(2);
    assertThat(count(counter(Window.DAY))).isEqualTo(2);
    event("a", "enwiki", false, 100_001); // and now it leaves
    assertThat(count(counter(Window.DAY))).isEqualTo(2);
    assertThat(core.windowEvents()).isEqualTo(2);
  }

  @Test
  void editsPerMinuteCountsByMinuteAndBotOverTheLastHour() {
    ViewParams epm = ViewParams.of(View.EDITS_PER_MINUTE).withWiki("enwiki");
    core.open(epm, 0);
    event("a", "enwiki", false, 120);
    event("b", "enwiki", false, 179);
    event("c", "enwiki", true, 150);
    event("a", "enwiki", false, 180);
    event("a", "dewiki", false, 181);
    assertThat(core.rows(epm)).isEqualTo(rows(List.of(120L, false, 2L), List.of(120L, true, 1L), List.of(180L, false, 1L)));
    event("a", "dewiki", false, 3750); // wm 3750: ts 150 is out (150 > 150 is false), 179 and 180 stay
    assertThat(core.rows(epm)).isEqualTo(rows(List.of(120L, false, 1L), List.of(180L, false, 1L)));
    List<JsonObject> messages = core.closeBatch(1);
    assertThat(messages).hasSize(1);
    assertThat(messages.get(0).getJsonObject("params")).isEqualTo(new JsonObject().put("wiki", "enwiki"));
  }

  @Test
  void topTenRefillsWhenTheLeadersEventsExpire() {
    ViewParams top = TOP10.withWindow(Window.FIVE_MINUTES);
    JsonObject snapshot = core.open(top, 1);
    assertThat(snapshot.getJsonArray(ViewMessage.INSERTED)).isEmpty();
    for (int i = 0; i < 50; i++) {
      event("Zed", "enwiki", false, 1000);
    }
    for (int u = 1; u <= 11; u++) {
      for (int i = 0; i < u; i++) {
        event("user" + u, "enwiki", false, 1200);
      }
    }
    core.closeBatch(2);
    assertThat(core.rows(top).getJsonArray(0)).isEqualTo(new JsonArray().add("Zed").add(50L));
    assertThat(core.rows(top).getJsonArray(9)).isEqualTo(new JsonArray().add("user3").add(3L));
    event("user11", "enwiki", false, 1300); // Zed's second leaves the window
    List<JsonObject> messages = core.closeBatch(3);
    assertThat(messages).hasSize(1);
    JsonObject m = messages.get(0);
    assertThat(m.getJsonArray(ViewMessage.DELETED)).containsExactlyInAnyOrder(
      new JsonArray().add("Zed").add(50L), new JsonArray().add("user11").add(11L));
    assertThat(m.getJsonArray(ViewMessage.INSERTED)).containsExactlyInAnyOrder(
      new JsonArray().add("user11").add(12L), new JsonArray().add("user2").add(2L));
    assertThat(core.rows(top).size()).isEqualTo(10);
  }

  @Test
  void topWikisGroupsTheNullWikiAndPutsItLastAmongEqualCounts() {
    ViewParams top = ViewParams.of(View.TOP_WIKIS).withBot(false);
    core.open(top, 0);
    event("a", null, false, 1);
    event("a", "zzwiki", false, 1);
    event("a", "aawiki", false, 1);
    event("a", "aawiki", true, 1);
    assertThat(core.rows(top)).isEqualTo(rows(Arrays.asList("aawiki", 1L), Arrays.asList("zzwiki", 1L), Arrays.asList(null, 1L)));
  }

  @Test
  void anInstanceForAWikiNoEventNamedYetFillsWhenItComes() {
    ViewParams p = COUNTER.withWiki("newwiki");
    core.open(p, 0);
    assertThat(count(p)).isZero();
    event("a", "enwiki", false, 1);
    assertThat(core.closeBatch(1)).isEmpty();
    event("a", "newwiki", false, 1);
    assertThat(count(p)).isEqualTo(1);
    assertThat(core.closeBatch(2)).hasSize(1);
    assertThat(core.close(p)).isTrue();
    event("a", "newwiki", false, 2);
    assertThat(core.closeBatch(3)).isEmpty();
    assertThat(core.close(p)).isFalse();
  }

  @Test
  void openingALiveInstanceMidBatchGivesTheRowsOfTheLastBatch() {
    ViewParams top = TOP10.withWiki("enwiki");
    core.open(top, 0);
    event("a", "enwiki", false, 1);
    core.closeBatch(1);
    event("b", "enwiki", false, 1);
    event("b", "enwiki", false, 1);
    JsonObject again = core.open(top, 1);
    assertThat(again.getJsonArray(ViewMessage.INSERTED)).isEqualTo(rows(List.of("a", 1L)));
    List<JsonObject> messages = core.closeBatch(2);
    assertThat(messages.get(0).getJsonArray(ViewMessage.INSERTED)).isEqualTo(rows(List.of("b", 2L)));
    assertThat(core.rows(top)).isEqualTo(rows(List.of("b", 2L), List.of("a", 1L)));
  }

  @Test
  void messagesNameOnlyTheParametersThatAreNotDefault() {
    assertThat(core.open(TOP10, 7)).isEqualTo(ViewMessage.snapshot("top10", 7, new JsonArray()));
    ViewParams p = TOP10.withWiki("enwiki").withBot(false).withWindow(Window.HOUR);
    JsonObject snapshot = core.open(p, 7);
    assertThat(snapshot.getJsonObject("params").encode()).isEqualTo("{\"wiki\":\"enwiki\",\"bot\":false,\"window\":\"1h\"}");
    event("a", "enwiki", false, 1);
    List<JsonObject> messages = core.closeBatch(8);
    assertThat(messages).containsExactlyInAnyOrder(
      ViewMessage.batch("top10", 8, rows(List.of("a", 1L)), new JsonArray()),
      ViewMessage.batch("top10", 8, rows(List.of("a", 1L)), new JsonArray()).put("params", snapshot.getJsonObject("params")));
  }

  @Test
  void theDefaultViewsEqualViewStateOverTheSample() {
    ViewState state = new ViewState();
    EventParser parser = new EventParser();
    core.open(COUNTER, 0);
    core.open(ViewParams.of(View.USER_EDITS), 0);
    core.open(TOP10, 0);
    for (String line : Sample.lines()) {
      byte[] b = line.getBytes(StandardCharsets.UTF_8);
      boolean valid = parser.parse(b, 0, b.length);
      assertThat(state.applyLine(b, 0, b.length)).isEqualTo(valid);
      if (valid) {
        core.apply(parser);
      }
    }
    assertThat(core.rows(COUNTER)).isEqualTo(state.rows(Views.COUNTER));
    assertThat(core.rows(TOP10)).isEqualTo(state.rows(Views.TOP10));
    assertThat(ShapedModel.plain(core.rows(ViewParams.of(View.USER_EDITS))))
      .containsExactlyInAnyOrderElementsOf(ShapedModel.plain(state.rows(Views.USER_EDITS)));
  }

  @Test
  void everyViewOverTheSampleEqualsARecomputation() throws IOException {
    JsonMapper mapper = new JsonMapper();
    List<Ev> events = new ArrayList<>();
    EventParser parser = new EventParser();
    for (String line : Sample.lines()) {
      byte[] b = line.getBytes(StandardCharsets.UTF_8);
      assertThat(parser.parse(b, 0, b.length)).isTrue();
      core.apply(parser);
      JsonNode n = mapper.readTree(line); // the sample is plain: no odd values to read PostgreSQL's way
      events.add(new Ev(n.path("user").textValue(), n.path("wiki").textValue(), n.path("bot").asBoolean(false),
        n.path("timestamp").longValue()));
    }
    List<ViewParams> params = new ArrayList<>();
    for (View v : List.of(View.COUNTER, View.TOP10, View.TOP_WIKIS)) {
      for (String wiki : Arrays.asList(null, "wikidatawiki", "enwiki")) {
        for (Window w : Window.values()) {
          params.add(new ViewParams(v, wiki, null, w));
          params.add(new ViewParams(v, wiki, true, w));
        }
      }
    }
    params.add(ViewParams.of(View.EDITS_PER_MINUTE));
    params.add(ViewParams.of(View.EDITS_PER_MINUTE).withWiki("enwiki"));
    for (ViewParams p : params) {
      core.open(p, 0);
      ShapedCorePropertyTest.assertRows(p, ShapedModel.plain(core.rows(p)), ShapedModel.expected(p, events));
    }
  }

  @Test
  void aDamagedStateIsRefused() throws IOException {
    event("a", "enwiki", true, 1000);
    event("b", null, false, EventParser.NO_TS);
    byte[] good = ShapedCorePropertyTest.bytes(core);
    assertThat(ShapedCore.read(in(good)).events()).isEqualTo(2);
    byte[] otherVersion = good.clone();
    otherVersion[3] = 9;
    assertThatThrownBy(() -> ShapedCore.read(in(otherVersion))).isInstanceOf(IOException.class).hasMessageContaining("version");
    assertThatThrownBy(() -> ShapedCore.read(in(Arrays.copyOf(good, good.length - 1)))).isInstanceOf(IOException.class);
    byte[] moreEvents = good.clone();
    moreEvents[11] = 3; // events: 3, but the groups hold 2
    assertThatThrownBy(() -> ShapedCore.read(in(moreEvents))).isInstanceOf(IOException.class).hasMessageContaining("corrupt");
    byte[] hugeName = good.clone();
    hugeName[24] = 0x7f; // the first user's length
    assertThatThrownBy(() -> ShapedCore.read(in(hugeName))).isInstanceOf(IOException.class);
  }

  private static DataInputStream in(byte[] b) {
    return new DataInputStream(new ByteArrayInputStream(b));
  }

  @SafeVarargs
  private static JsonArray rows(List<Object>... rows) {
    JsonArray out = new JsonArray();
    for (List<Object> r : rows) {
      out.add(new JsonArray(new ArrayList<>(r)));
    }
    return out;
  }
}
