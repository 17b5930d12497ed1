package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonArray;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import wikirecent.testsupport.Wait;
import wikirecent.testsupport.WebSockets;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a person sees in the dashboard, checked in a real headless Chromium against the REST
 * view of the same web node. Independent of what feeds the views: a subclass starts the feed
 * (the scripted source, or the real replay → ingest → engine pipeline) and makes things happen;
 * with a live feed, {@link #moreEdits()} and {@link #pushOutOfTop10(List)} may simply return
 * (the scenarios wait for the change), and {@link #hostileNameInTop10()} needs a recording
 * where such a user edits enough. Screenshots go to {@code target/screenshots/}.
 */
public abstract class DashboardScenarios {

  protected static Browser browser;
  protected Vertx vertx;
  protected WebNode web;

  /** Starts whatever publishes the views on {@code vertx}'s event bus, with some edits already made. */
  protected abstract void startFeed(Vertx vertx) throws Exception;

  /** More edits happen (a scripted step; a live feed may simply be waited for). */
  protected abstract void moreEdits() throws Exception;

  /** Makes one of the users now in the top 10 drop out of it (or waits until the feed does). */
  protected abstract void pushOutOfTop10(List<String> shown) throws Exception;

  /** Gets a user with an HTML-looking name into the top 10; returns the name. */
  protected abstract String hostileNameInTop10() throws Exception;

  protected void stopFeed() throws Exception {
  }

  /** Screenshots are test artifacts, one set per feed: target/screenshots/<feed>/<name>.png. */
  private void shot(String name) throws Exception {
    browser.screenshot(getClass().getSimpleName() + "/" + name);
  }

  /** Stops edits for a while (a live feed never stops by itself); a scripted feed is quiet anyway. */
  protected void holdFeed() throws Exception {
  }

  protected void releaseFeed() throws Exception {
  }

  @BeforeAll
  public static void startBrowser() throws Exception {
    browser = Browser.start();
  }

  @AfterAll
  public static void stopBrowser() throws Exception {
    if (browser != null) {
      browser.close();
    }
  }

  @BeforeEach
  public void startApp() throws Exception {
    vertx = Vertx.vertx();
    startFeed(vertx);
    web = Wait.on(WebNode.start(vertx, null));
    Wait.until("the web node has the views", () -> rest("top10") != null && rest("counter") != null);
    browser.viewport(1280, 800, false);
  }

  @AfterEach
  public void stopApp(TestInfo test) throws Exception {
    shot("last-" + test.getTestMethod().orElseThrow().getName());
    stopFeed();
    Wait.on(vertx.close());
  }

  /** A view's rows from the REST API, or null while it has none. */
  protected JsonArray rest(String view) {
    var r = Http.get(vertx, web.port(), "/api/views/" + view);
    return r.statusCode() == 200 ? r.bodyAsJsonObject().getJsonArray("inserted") : null;
  }

  protected long restCount() {
    JsonArray rows = rest("counter");
    return rows == null || rows.isEmpty() ? -1 : rows.getJsonArray(0).getLong(0);
  }

  private void openLive() {
    browser.open(web.url("/"));
    Wait.until("the page is live", Wait.LONG, () -> "live".equals(browser.connState()), () -> "state " + browser.connState());
  }

  /** Waits until the chart shows exactly the top10 view (both move on a live feed: retried until they agree). */
  private void chartEqualsView() {
    Wait.until("the chart shows /api/views/top10", Wait.LONG, () -> browser.bars().equals(rest("top10")),
      () -> "page " + browser.bars() + " vs REST " + rest("top10"));
  }

  private List<String> shownUsers() {
    List<String> users = new ArrayList<>();
    for (Object row : browser.bars()) {
      users.add(((JsonArray) row).getString(0));
    }
    return users;
  }

  @Test
  public void theCounterRisesAndTenBarsEqualTheView() throws Exception {
    openLive();
    chartEqualsView();
    assertThat(browser.bars()).hasSize(10);
    long before = browser.count();
    assertThat(before).isPositive();
    moreEdits();
    Wait.until("the counter rises", () -> browser.count() > before);
    Wait.until("the counter equals the view", Wait.LONG, () -> browser.count() == restCount(),
      () -> browser.count() + " vs " + restCount());
    chartEqualsView();
    holdFeed();
    Wait.until("the counter's text settles on the formatted count", Wait.LONG,
      () -> browser.counterText().equals(String.format("%,d", browser.count())), browser::counterText);
    releaseFeed();
    if (rest("top10").stream().anyMatch(r -> ((JsonArray) r).getValue(0) == null)) {
      assertThat(browser.nullUserLabel()).isEqualTo("(no user)");
    }
    moreEdits();
    Wait.until("an edits-per-second figure", Wait.LONG, () -> browser.text("rate").matches("[0-9.]+ edits/s"), () -> browser.text("rate"));
    assertThat(browser.text("fresh")).matches("updated [0-9.]+ (s|min|h) ago");
    // Everything the page loaded came from the app itself: it works with no internet.
    List<?> foreign = (List<?>) browser.driver().executeScript(
      "return performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith(location.origin));");
    assertThat(foreign).isEmpty();
    assertThat(browser.policyViolations()).as("nothing the page does is blocked by its CSP").isEmpty();
    assertThat(browser.script("return performance.getEntriesByType('resource').filter(e => e.name.includes('sockjs.min.js')).length;"))
      .isEqualTo(1);
    shot("dashboard-1280x800");

    browser.viewport(390, 844, true);
    Wait.until("the phone layout stacks the cards", () -> browser.script(
      "const a = document.querySelector('.card.total').getBoundingClientRect();"
        + "const b = document.querySelector('.card.top').getBoundingClientRect();"
        + "return (b.top >= a.bottom && b.right <= window.innerWidth + 1 && document.documentElement.scrollWidth <= window.innerWidth) ? 1 : 0;") == 1);
    shot("dashboard-390x844");
  }

  @Test
  public void thePageFollowsOverAnUncompressedWebSocket() throws Exception {
    openLive();
    List<?> sockets = browser.sockets();
    assertThat(sockets).as("the page's sockets").isNotEmpty();
    List<List<?>> open = sockets.stream().<List<?>>map(s -> (List<?>) s).filter(s -> ((Number) s.get(1)).intValue() == 1).toList();
    assertThat(open).as("SockJS's WebSocket transport, open: " + sockets).hasSize(1);
    assertThat((String) open.get(0).get(0)).matches("ws://.*/eventbus/[^/]+/[^/]+/websocket");
    // Chromium offered permessage-deflate; the node declined, so the bytes shared by all clients are what arrive.
    assertThat((String) open.get(0).get(2)).isEmpty();
  }

  /**
   * With 100 other sockets the node walks its clients: a visit sends the page every view's change in one SockJS
   * frame, and sockjs-client hands each to the page, which still equals the views.
   */
  @Test
  public void onACrowdedNodeThePageGetsSeveralViewsInOneFrameAndEqualsThem() throws Exception {
    WebSocketClient crowd = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(FanOut.CROWD));
    for (int i = 0; i < FanOut.CROWD; i++) {
      WebSockets.open(vertx, crowd, web.port(), "/api/stream/counter", ws -> ws.handler(b -> { }));
    }
    openLive();
    chartEqualsView();
    for (int i = 0; i < 3 && browser.mostMessagesInOneFrame() < 2; i++) {
      moreEdits();
      Wait.until("the counter equals the view", Wait.LONG, () -> browser.count() == restCount(),
        () -> browser.count() + " vs " + restCount());
    }
    chartEqualsView();
    assertThat(browser.mostMessagesInOneFrame()).as("messages in one frame").isGreaterThan(1);
  }

  @Test
  public void aUserWhoLeavesTheTop10LeavesTheChart() throws Exception {
    openLive();
    chartEqualsView();
    List<String> shown = shownUsers();
    pushOutOfTop10(shown);
    Wait.until("someone left the view", () -> {
      JsonArray now = rest("top10");
      return shown.stream().anyMatch(u -> now.stream().noneMatch(r -> java.util.Objects.equals(((JsonArray) r).getValue(0), u)));
    });
    JsonArray now = rest("top10");
    String gone = shown.stream()
      .filter(u -> now.stream().noneMatch(r -> java.util.Objects.equals(((JsonArray) r).getValue(0), u)))
      .filter(java.util.Objects::nonNull)
      .findFirst().orElseThrow();
    Wait.until(gone + " leaves the chart", () -> !shownUsers().contains(gone));
    Wait.until(gone + "'s bar is removed once it has faded out", () -> browser.elementsFor(gone) == 0);
    chartEqualsView();
    assertThat(browser.bars()).hasSize(10);
    shot("after-a-user-left");
  }

  @Test
  public void aHostileUserNameIsShownAsText() throws Exception {
    openLive();
    String hostile = hostileNameInTop10();
    Wait.until("the hostile name has a bar", Wait.LONG, () -> shownUsers().contains(hostile), () -> shownUsers().toString());
    assertThat(browser.shownName(hostile)).isEqualTo(hostile);
    assertThat(browser.script("return document.querySelectorAll('img').length;")).isZero();
    // Give an injected <img onerror> every chance to have fired: its src would have failed by now.
    chartEqualsView();
    assertThat(browser.alerts()).isEmpty();
    assertThat(browser.alertShowing()).isFalse();
    assertThat(browser.policyViolations()).isEmpty();
    shot("hostile-name-as-text");
  }

  @Test
  public void thePageReconnectsAfterTheServerDropsItAndShowsTheFreshState() throws Exception {
    openLive();
    chartEqualsView();
    long before = browser.count();
    int port = web.port();
    Wait.on(web.stop());
    Wait.until("the page notices", () -> "reconnecting".equals(browser.connState()));
    shot("reconnecting");
    moreEdits();
    pushOutOfTop10(shownUsers());
    web = Wait.on(WebNode.startOnPort(vertx, port, null));
    Wait.until("the page is live again", Wait.LONG.plus(Duration.ofSeconds(30)), () -> "live".equals(browser.connState()),
      () -> "state " + browser.connState());
    Wait.until("the page shows the fresh counter", Wait.LONG, () -> browser.count() == restCount() && browser.count() > before,
      () -> browser.count() + " vs " + restCount());
    chartEqualsView();
    moreEdits();
    Wait.until("and follows new changes", Wait.LONG, () -> browser.count() == restCount(), () -> browser.count() + " vs " + restCount());
  }
}
