package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import org.junit.jupiter.api.Test;
import wikirecent.testsupport.StreamWatcher;
import wikirecent.testsupport.Wait;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static wikirecent.web.DashboardPage.MINUTES;
import static wikirecent.web.DashboardPage.PANELS;

/**
 * The shaped dashboard scenarios on the real web node ({@link WebNode}: replicas, views API, bridge) fed
 * by the scripted view source, plus what only a scripted source can make happen on demand: refusals
 * (501 from a source that cannot shape, 429 too many live views) and a source catching up.
 */
class ShapedDashboardScriptedIT extends ShapedDashboardScenarios {

  static final long T0 = 1_700_000_040L; // a minute's start: the newest event time at first
  static final String HOSTILE_USER = "<img src=x onerror=alert(1)>";
  static final String HOSTILE_WIKI = "<img src=x onerror=alert(2)>wiki";
  static final String[] WIKIS_SEEN = {"enwiki", "dewiki", "commonswiki", "wikidatawiki", "frwiki", "dewiktionary",
    "eswiki", "zh_min_nanwiki", "nds_nlwiki", null, HOSTILE_WIKI};
  static final int[] WEIGHTS = {30, 18, 14, 12, 8, 5, 5, 2, 2, 1, 6};
  static final String[] BOTS = {"CleanupBot", "LinkBot", "ArchiveBot"};

  private ScriptedViewSource source;
  private WebNode node;
  private final Random random = new Random(5);
  private long watermark = T0;

  @Override
  protected String start(Vertx vertx) {
    source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    List<ScriptedViewSource.Edit> edits = new ArrayList<>();
    List<ScriptedViewSource.Edit> untimed = new ArrayList<>();
    for (int i = 0; i < 1200; i++) {
      double p = random.nextDouble();
      Long ts = p < 0.03 ? null : p < 0.15 ? T0 - 7200 - random.nextInt(100_000) : T0 - random.nextInt(7200);
      (ts == null ? untimed : edits).add(randomEdit(ts));
    }
    edits.add(randomEdit(T0));
    for (int i = 0; i < 40; i++) {
      edits.add(new ScriptedViewSource.Edit(HOSTILE_USER, "dewiki", false, T0 - random.nextInt(1800)));
    }
    for (int i = 0; i < 8; i++) {
      edits.add(new ScriptedViewSource.Edit(null, "dewiki", false, T0 - random.nextInt(3600))); // a redacted user
    }
    Wait.on(source.edit(edits.toArray(new ScriptedViewSource.Edit[0])));
    Wait.on(source.editWithoutTime(untimed.toArray(new ScriptedViewSource.Edit[0]))); // no event time: only in window=all
    node = Wait.on(WebNode.start(vertx, null));
    return node.url("");
  }

  private ScriptedViewSource.Edit randomEdit(Long ts) {
    int total = 0;
    for (int w : WEIGHTS) {
      total += w;
    }
    int pick = random.nextInt(total);
    int i = 0;
    while (pick >= WEIGHTS[i]) {
      pick -= WEIGHTS[i++];
    }
    boolean bot = random.nextDouble() < 0.25;
    String user = bot ? BOTS[random.nextInt(BOTS.length)]
      : "Editor " + (char) ('A' + (int) Math.min(24, Math.abs(random.nextGaussian()) * 8));
    return new ScriptedViewSource.Edit(user, WIKIS_SEEN[i], bot, ts);
  }

  @Override
  protected JsonArray expected(String key) {
    return Wait.on(source.expected(key));
  }

  /** What the page's bridge socket follows on the node, as addresses. */
  @Override
  protected Set<String> registered() {
    return node.inspect(fanOut -> {
      Set<String> addresses = new TreeSet<>();
      for (Client c : fanOut.clients()) {
        if (c.transport == Client.Transport.SOCKJS) {
          c.keys.forEach(k -> addresses.add("views." + k));
        }
      }
      return addresses;
    });
  }

  /** Twelve minutes of edits after the newest: the hour's first twelve minutes leave it. */
  @Override
  protected void moreEdits() {
    List<ScriptedViewSource.Edit> edits = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      edits.add(randomEdit(watermark + 1 + random.nextInt(719)));
    }
    watermark += 720;
    edits.add(randomEdit(watermark));
    Wait.on(source.edit(edits.toArray(new ScriptedViewSource.Edit[0])));
  }

  @Override
  protected Hostile hostile() {
    return new Hostile("dewiki", HOSTILE_USER, HOSTILE_WIKI);
  }

  @Override
  protected void stop() {
    if (node != null) {
      Wait.on(node.stop());
    }
  }

  /**
   * A list of wikis longer than a WebSocket frame reaches the page as the reply to its snapshot request: a text
   * frame of the reply's own head, then continuation frames over the snapshot's shared frame. Chromium joins them
   * and the picker offers the least edited wiki.
   */
  @Test
  public void thePickerOffersEveryWikiOfAListLongerThanAFrame() throws Exception {
    List<ScriptedViewSource.Edit> tail = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      tail.add(new ScriptedViewSource.Edit("Editor A", String.format("zz%04d_longtail_wiktionary", i), false, T0 - 60));
    }
    Wait.on(source.edit(tail.toArray(new ScriptedViewSource.Edit[0])));
    assertThat(expected("wiki_edits").encode().length()).as("longer than a frame").isGreaterThan(2 * 65536);
    // Another follower first, so the node's replica is synced and the page's request is what answers it (a new
    // replica would push its first snapshot to the page instead).
    StreamWatcher other = StreamWatcher.connect(vertx, node.port(), "wiki_edits");
    Wait.until("the replica is synced", () -> !other.messages().isEmpty());
    open("");
    page.typeWiki("zz4999");
    Wait.until("the picker offers the last wiki", Wait.LONG,
      () -> page.suggestions().equals(List.of("zz4999_longtail_wiktionary")), () -> page.suggestions().toString());
    // On the one WebSocket it opened: not after falling back to another transport, nor over a new session.
    List<?> sockets = browser.sockets();
    assertThat(sockets).as("the page's sockets").hasSize(1);
    assertThat((List<?>) sockets.get(0)).first().asString().matches("ws://.*/eventbus/[^/]+/[^/]+/websocket");
    assertThat(((Number) ((List<?>) sockets.get(0)).get(1)).intValue()).as("open").isEqualTo(1);
    other.close();
  }

  /**
   * While the list is open the feed moves the counts (and would reorder it): the options stay the same nodes in the
   * same order, their counts follow, and a click chooses the wiki clicked.
   */
  @Test
  public void anOpenPickerKeepsItsOptionsWhileTheirCountsChange() throws Exception {
    open("");
    page.typeWiki("de"); // dewiki, dewiktionary: the second the less edited
    Wait.until("suggestions", () -> page.suggestions().size() >= 2);
    List<String> before = page.suggestions();
    String last = before.get(before.size() - 1);
    browser.driver().executeScript("window.shownOptions = Array.from(document.getElementById('wiki-list').children);");
    String shownCount = "return document.querySelector('#wiki-list li:last-child .c').textContent;";
    Object countBefore = browser.driver().executeScript(shownCount);
    List<ScriptedViewSource.Edit> edits = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      edits.add(new ScriptedViewSource.Edit("Editor B", last, false, T0 - 30)); // enough to be the most edited
    }
    Wait.on(source.edit(edits.toArray(new ScriptedViewSource.Edit[0])));
    Wait.until("the shown count follows the feed", () -> !browser.driver().executeScript(shownCount).equals(countBefore));
    assertThat(page.suggestions()).isEqualTo(before);
    assertThat(browser.driver().executeScript("const now = Array.from(document.getElementById('wiki-list').children);"
      + "return now.length === window.shownOptions.length && now.every((li, i) => li === window.shownOptions[i]);"))
      .as("the same option nodes").isEqualTo(true);
    browser.driver().findElement(org.openqa.selenium.By.cssSelector("#wiki-list li[data-wiki=\"" + last + "\"]")).click();
    Wait.until("the clicked wiki applied", () -> page.search().contains("wiki=" + last));
    // Typing again sorts afresh: now most edited, it comes first.
    page.typeWiki(org.openqa.selenium.Keys.chord(org.openqa.selenium.Keys.CONTROL, "a"), "de");
    Wait.until("sorted afresh", Wait.LONG, () -> !page.suggestions().isEmpty() && page.suggestions().get(0).equals(last),
      () -> page.suggestions().toString());
  }

  /** A bar that appears and changes before its entrance is done (two animation frames) ends at its newest length. */
  @Test
  public void aBarChangedAsItEntersEndsAtItsNewestLength() throws Exception {
    open("");
    Object scale = browser.driver().executeAsyncScript(
      "const done = arguments[arguments.length - 1];"
        + "import('/bars.js').then(({BarChart}) => {"
        + "  const list = document.createElement('ol');"
        + "  const empty = document.createElement('p');"
        + "  document.body.append(list, empty);"
        + "  const chart = new BarChart(list, empty, 'user', '(no user)');"
        + "  chart.render([['A', 10]]);"
        + "  chart.render([['B', 10], ['A', 5]]);"
        + "  requestAnimationFrame(() => requestAnimationFrame(() => requestAnimationFrame(() =>"
        + "    done(list.querySelector('[data-user=\"A\"] .fill').style.getPropertyValue('--scale')))));"
        + "});");
    assertThat(scale).isEqualTo("0.5");
  }

  /** A change of choice syncs the new views over the open connection: the badge says so, never "reconnecting". */
  @Test
  public void aChangeOfChoiceSyncsWithoutSayingReconnecting() throws Exception {
    open("");
    browser.driver().executeScript("window.connStates = [];"
      + "new MutationObserver(() => window.connStates.push(document.getElementById('conn').dataset.state))"
      + ".observe(document.getElementById('conn'), {attributes: true, attributeFilter: ['data-state']});");
    page.clickOption("bot", "false");
    showsTheFeedFor(new Choice(null, false, "all"));
    page.clickOption("window", "1h");
    showsTheFeedFor(new Choice(null, false, "1h"));
    Wait.until("live", () -> "live".equals(browser.connState()));
    @SuppressWarnings("unchecked")
    List<String> states = (List<String>) browser.driver().executeScript("return window.connStates;");
    assertThat(states).as("the badge's states").contains("syncing").doesNotContain("reconnecting", "connecting");
  }

  @Test
  public void aSourceThatCannotShapeSaysSoInEachPanelAndTheDefaultsStillWork() throws Exception {
    Wait.on(source.unavailable(p -> !p.isDefault()));
    page.recordErrorsShown();
    open("?wiki=enwiki&bot=false");
    for (String p : PANELS) {
      Wait.until(p + " shows the refusal", Wait.LONG, () -> "501".equals(page.errorCode(p)), () -> p + " " + page.state(p));
      assertThat(page.errorsShown()).as("the recorder sees what shows").contains(p + " 501");
      assertThat(page.errorText(p)).contains("Not available from this server’s data source")
        .contains("is not available with this view source");
      assertThat(page.state(p)).isEqualTo("error");
    }
    assertThat(page.count()).isEqualTo(-1);
    assertThat(page.bars("chart")).isEmpty();
    assertThat(page.minuteRows()).isEmpty();
    shot("materialize-501");
    browser.driver().findElement(org.openqa.selenium.By.id("wiki-clear")).click();
    page.clickOption("bot", "any");
    showsTheFeedFor(Choice.DEFAULT);
  }

  @Test
  public void tooManyLiveViewsShowsInThePanelAndClearsOnceThereIsRoom() throws Exception {
    Wait.on(source.maxInstances(2));
    open("?bot=true"); // three shaped instances: counter, top10 and top_wikis with bot=true
    Wait.until("one panel shows 429 and the others their data", Wait.LONG, () -> {
      long refused = PANELS.stream().filter(p -> "429".equals(page.errorCode(p))).count();
      long live = PANELS.stream().filter(p -> "live".equals(page.state(p))).count();
      return refused == 1 && live == 3;
    }, () -> PANELS.stream().map(p -> p + "=" + page.state(p) + "/" + page.errorCode(p)).toList().toString());
    String refused = PANELS.stream().filter(p -> "429".equals(page.errorCode(p))).findFirst().orElseThrow();
    assertThat(page.errorText(refused)).contains("The server is following too many views right now").contains("views.maxInstances = 2");
    assertThat(refused).isNotEqualTo(MINUTES); // edits_per_minute of every wiki is the default set
    shot("too-many-429");
    Wait.on(source.maxInstances(100));
    // The page asks again on its own, slowly (15 s give or take 30 %).
    Wait.until("the refused panel comes back", Duration.ofSeconds(60), () -> "live".equals(page.state(refused)));
    showsTheFeedFor(new Choice(null, true, "all"));
  }

  @Test
  public void aSourceCatchingUpIsWaitedForWithoutAnError() throws Exception {
    Choice c = new Choice("frwiki", null, "5m");
    Wait.on(source.catchingUp(true));
    page.recordErrorsShown();
    browser.open(node.url("/?" + c.query()));
    Wait.until("the node asked again after a 503", Wait.LONG, () -> Wait.on(source.requests(c.key("counter"))) >= 2);
    assertThat(page.count()).as("nothing to show while the source catches up").isEqualTo(-1);
    Wait.on(source.catchingUp(false));
    Wait.until("the page is live", Wait.LONG,
      () -> "live".equals(browser.connState()) && PANELS.stream().allMatch(p -> "live".equals(page.state(p))));
    assertThat(page.errorsShown()).as("503 is waited for, not shown, not even for a moment").isEmpty();
    showsTheFeedFor(c);
  }

  @Test
  public void switchingUnregistersTheOldAddresses() throws Exception {
    page.recordSentFrames();
    open("?wiki=enwiki");
    showsTheFeedFor(new Choice("enwiki", null, "all"));
    page.clickOption("bot", "true");
    showsTheFeedFor(new Choice("enwiki", true, "all")); // the node's followers are exactly the new choice's
    List<String> sent = page.sentFrames();
    assertThat(sent).contains("unregister views.counter?wiki=enwiki", "unregister views.top10?wiki=enwiki",
      "unregister views.top_wikis", "register views.counter?wiki=enwiki&bot=true", "register views.top_wikis?bot=true");
    // The minute chart follows only the wiki: its address stayed.
    assertThat(sent).containsOnlyOnce("register views.edits_per_minute?wiki=enwiki")
      .doesNotContain("unregister views.edits_per_minute?wiki=enwiki");
  }
}
