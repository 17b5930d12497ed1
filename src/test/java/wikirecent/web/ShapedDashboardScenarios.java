package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.openqa.selenium.Keys;
import wikirecent.testsupport.Wait;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static wikirecent.web.DashboardPage.COUNTER;
import static wikirecent.web.DashboardPage.MINUTES;
import static wikirecent.web.DashboardPage.PANELS;
import static wikirecent.web.DashboardPage.TOP10;
import static wikirecent.web.DashboardPage.WIKIS;

/**
 * The dashboard's shaped views as a person uses them, in a real headless Chromium: the wiki
 * picker, the bots/humans toggle and the window; the URL that carries the choice; what each panel
 * then shows, compared with the answer of whatever feeds the views ({@link #expected}) for that
 * parameter set. Independent of the feed: a subclass starts it and the web node (the scripted
 * source in {@link ShapedDashboardScriptedIT}; the real pipeline against PostgreSQL is
 * {@link ShapedDashboardPipelineIT}). Screenshots go to {@code target/screenshots/<class>/}.
 */
public abstract class ShapedDashboardScenarios {

  /** The choice, as the test writes it down itself: null = any. */
  protected record Choice(String wiki, Boolean bot, String window) {

    static final Choice DEFAULT = new Choice(null, null, "all");

    /** The canonical key of a view for this choice (each view takes only its parameters), written out here from the contract. */
    String key(String view) {
      boolean filtered = view.equals("counter") || view.equals("top10");
      List<String> q = new ArrayList<>();
      if (wiki != null && (filtered || view.equals("edits_per_minute"))) {
        q.add("wiki=" + wiki);
      }
      if (filtered || view.equals("top_wikis")) {
        if (bot != null) {
          q.add("bot=" + bot);
        }
        if (!window.equals("all")) {
          q.add("window=" + window);
        }
      }
      return q.isEmpty() ? view : view + "?" + String.join("&", q);
    }

    /** The page's canonical query: "wiki=enwiki&bot=false&window=1h", "" for the defaults. */
    String query() {
      String k = key("counter");
      int q = k.indexOf('?');
      return q < 0 ? "" : k.substring(q + 1);
    }

    /** What the page must be registered on for this choice. */
    Set<String> addresses() {
      Set<String> a = new TreeSet<>();
      for (String view : List.of("counter", "top10", "top_wikis", "edits_per_minute")) {
        a.add("views." + key(view));
      }
      a.add("views.edits_per_minute"); // every wiki's minutes: where the hour ends
      a.add("views.wiki_edits"); // the picker's list
      return a;
    }
  }

  /** A wiki with an HTML-looking user in its top 10, and an HTML-looking wiki in the top 10 wikis. */
  protected record Hostile(String wiki, String user, String wikiName) {
  }

  protected static Browser browser;
  protected DashboardPage page;
  protected Vertx vertx;
  private String base;

  /** Starts the views (some edits already made, event times spread over more than a day) and the server of the page; its base URL. */
  protected abstract String start(Vertx vertx) throws Exception;

  /** The rows of a canonical key, computed apart from the page. */
  protected abstract JsonArray expected(String key) throws Exception;

  /** The addresses the page is registered on at the server now; null when the server cannot tell. */
  protected abstract Set<String> registered();

  /** More edits happen and event time moves on by several minutes, so some minutes leave the last hour. */
  protected abstract void moreEdits() throws Exception;

  protected abstract Hostile hostile();

  protected void stop() throws Exception {
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
    base = start(vertx);
    page = new DashboardPage(browser);
    browser.viewport(1280, 900, false);
  }

  @AfterEach
  public void stopApp(TestInfo test) throws Exception {
    shot("last-" + test.getTestMethod().orElseThrow().getName());
    stop();
    Wait.on(vertx.close());
  }

  protected void shot(String name) throws Exception {
    browser.screenshot(getClass().getSimpleName() + "/" + name);
  }

  /** Opens the page with this query ("" or "?..."), and waits until it is live. */
  protected void open(String query) {
    browser.open(base + "/" + query);
    Wait.until("the page is live", Wait.LONG, () -> "live".equals(browser.connState()), () -> "state " + browser.connState());
  }

  /** The wiki codes of wiki_edits a person can pick, most edited first. */
  protected List<String> pickableWikis() throws Exception {
    List<String> out = new ArrayList<>();
    for (Object r : expected("wiki_edits")) {
      Object w = ((JsonArray) r).getValue(0);
      if (w instanceof String s && s.matches("[a-z0-9_]{1,64}")) {
        out.add(s);
      }
    }
    return out;
  }

  /** The suggestions for typed text: wikis starting with it, then containing it, most edited first, at most 10. */
  static List<String> suggestionsFor(List<String> wikis, String typed) {
    List<String> out = new ArrayList<>();
    wikis.stream().filter(w -> w.startsWith(typed)).forEach(out::add);
    wikis.stream().filter(w -> !w.startsWith(typed) && w.contains(typed)).forEach(out::add);
    return out.subList(0, Math.min(10, out.size()));
  }

  /** The newest minute of every wiki's edits per minute: where the chart's hour ends. */
  private Long lastMinute() throws Exception {
    Long last = null;
    for (Object r : expected("edits_per_minute")) {
      long m = ((JsonArray) r).getLong(0);
      last = last == null ? m : Math.max(last, m);
    }
    return last;
  }

  /** Every panel follows the choice's key and shows the feed's rows for it; the URL and the controls say the choice. */
  protected void showsTheFeedFor(Choice c) throws Exception {
    Map<String, String> keys = new LinkedHashMap<>();
    keys.put(COUNTER, c.key("counter"));
    keys.put(TOP10, c.key("top10"));
    keys.put(WIKIS, c.key("top_wikis"));
    keys.put(MINUTES, c.key("edits_per_minute"));
    Wait.until("the panels follow " + c, Wait.LONG, () -> page.keys().equals(keys), () -> String.valueOf(page.keys()));
    Wait.until("every panel is live", Wait.LONG, () -> PANELS.stream().allMatch(p -> "live".equals(page.state(p))),
      () -> PANELS.stream().map(p -> p + "=" + page.state(p) + "/" + page.errorCode(p)).toList().toString());
    Wait.until("the counter shows " + keys.get(COUNTER), Wait.LONG,
      () -> page.count() == expected(keys.get(COUNTER)).getJsonArray(0).getLong(0),
      () -> page.count() + " vs " + uncheck(() -> expected(keys.get(COUNTER))));
    Wait.until("the top 10 shows " + keys.get(TOP10), Wait.LONG,
      () -> page.bars("chart").equals(expected(keys.get(TOP10))),
      () -> page.bars("chart") + " vs " + uncheck(() -> expected(keys.get(TOP10))));
    Wait.until("the top wikis show " + keys.get(WIKIS), Wait.LONG,
      () -> page.bars("wikis").equals(expected(keys.get(WIKIS))),
      () -> page.bars("wikis") + " vs " + uncheck(() -> expected(keys.get(WIKIS))));
    Wait.until("the minute chart shows " + keys.get(MINUTES) + ", zeros for the other minutes, and ends at the newest minute", Wait.LONG,
      () -> minutesShown(expected(keys.get(MINUTES)), lastMinute()),
      () -> page.minuteRows() + " ending " + page.minuteEnd() + " vs " + uncheck(() -> expected(keys.get(MINUTES))));
    if (registered() != null) {
      Wait.until("the page is registered on exactly the choice's addresses", Wait.LONG, () -> registered().equals(c.addresses()),
        () -> registered() + " vs " + c.addresses());
    }
    assertThat(page.search()).isEqualTo(c.query().isEmpty() ? "" : "?" + c.query());
    assertThat(page.wikiText()).isEqualTo(c.wiki() == null ? "" : c.wiki());
    assertThat(page.checked("bot")).isEqualTo(c.bot() == null ? "any" : c.bot().toString());
    assertThat(page.checked("window")).isEqualTo(c.window());
    assertThat(PANELS.stream().map(page::errorCode).filter(java.util.Objects::nonNull)).isEmpty();
  }

  /** The chart has these rows, ends at last, and draws every other minute of its 61 as a zero. */
  private boolean minutesShown(JsonArray rows, Long last) {
    if (!page.minuteRows().equals(rows) || !java.util.Objects.equals(page.minuteEnd(), last)) {
      return false;
    }
    Set<Long> minutes = new TreeSet<>();
    rows.forEach(r -> minutes.add(((JsonArray) r).getLong(0)));
    return last == null || page.zeroColumns() == 61 - minutes.size();
  }

  private static String uncheck(java.util.concurrent.Callable<Object> c) {
    try {
      return String.valueOf(c.call());
    } catch (Exception e) {
      return e.toString();
    }
  }

  @Test
  public void eachChoiceShowsTheFeedsAnswerForItLive() throws Exception {
    open("");
    showsTheFeedFor(Choice.DEFAULT);
    shot("default");

    // Type the start of the second most edited wiki; the suggestions are the wikis seen, most edited first.
    List<String> wikis = pickableWikis();
    assertThat(wikis).hasSizeGreaterThan(2);
    String typed = wikis.get(1).substring(0, 2);
    List<String> expectedSuggestions = suggestionsFor(wikis, typed);
    page.typeWiki(typed);
    Wait.until("the suggestions for '" + typed + "'", Wait.LONG, () -> page.suggestions().equals(expectedSuggestions),
      () -> page.suggestions() + " vs " + expectedSuggestions);
    shot("suggestions");
    page.press(Keys.ARROW_DOWN, Keys.ENTER);
    String wiki = expectedSuggestions.get(0);
    showsTheFeedFor(new Choice(wiki, null, "all"));

    page.clickOption("bot", "false");
    showsTheFeedFor(new Choice(wiki, false, "all"));
    page.clickOption("window", "1h");
    Choice chosen = new Choice(wiki, false, "1h");
    showsTheFeedFor(chosen);
    shot("wiki-humans-1h");

    // Live: the views change, minutes leave the last hour, and the page follows.
    JsonArray before = expected(chosen.key("edits_per_minute"));
    moreEdits();
    JsonArray after = expected(chosen.key("edits_per_minute"));
    Set<Long> aged = new TreeSet<>();
    before.forEach(r -> aged.add(((JsonArray) r).getLong(0)));
    after.forEach(r -> aged.remove(((JsonArray) r).getLong(0)));
    assertThat(aged).as("minutes that left the last hour").isNotEmpty();
    showsTheFeedFor(chosen);
    assertThat(page.minuteColumns()).isEqualTo(61);
    assertThat(page.minuteRows().stream().map(r -> ((JsonArray) r).getLong(0))).doesNotContainAnyElementsOf(aged);
    shot("after-more-edits");

    page.clickOption("bot", "true");
    showsTheFeedFor(new Choice(wiki, true, "1h"));
    page.clickOption("window", "5m");
    showsTheFeedFor(new Choice(wiki, true, "5m"));
    page.clickOption("window", "24h");
    showsTheFeedFor(new Choice(wiki, true, "24h"));

    // Back to everything: the clear button, All, All time.
    browser.driver().findElement(org.openqa.selenium.By.id("wiki-clear")).click();
    page.clickOption("bot", "any");
    page.clickOption("window", "all");
    showsTheFeedFor(Choice.DEFAULT);
  }

  @Test
  public void aWikiWithNoEditsShowsZerosAndSaysSo() throws Exception {
    List<String> wikis = pickableWikis();
    String quiet = "nosuchwiki";
    for (int i = 0; wikis.contains(quiet); i++) {
      quiet = "nosuchwiki" + i;
    }
    open("");
    page.typeWiki(quiet, Keys.ENTER);
    showsTheFeedFor(new Choice(quiet, null, "all"));
    assertThat(page.count()).isZero();
    assertThat(browser.text("counter")).isEqualTo("0");
    assertThat(page.bars("chart")).isEmpty();
    assertThat(browser.text("chart-empty")).isEqualTo("No edits match this choice");
    assertThat(page.minuteRows()).isEmpty();
    assertThat(page.zeroColumns()).as("the hour of every wiki, drawn as zeros").isEqualTo(61);
    assertThat(browser.script("return document.getElementById('epm-empty').hidden ? 0 : 1;")).isEqualTo(1);
    shot("no-edits");
  }

  @Test
  public void aLinkReproducesTheViewAndBadValuesFallBackWithANote() throws Exception {
    String wiki = pickableWikis().get(0);
    Choice c = new Choice(wiki, true, "5m");
    open("?window=5m&bot=true&wiki=" + wiki); // another order than the canonical one
    showsTheFeedFor(c);
    assertThat(page.urlNote()).isNull();
    shot("from-a-link");

    open("?wiki=" + wiki.toUpperCase(java.util.Locale.ROOT)); // as typed into the picker: the case does not matter
    showsTheFeedFor(new Choice(wiki, null, "all"));
    assertThat(page.urlNote()).isNull();
    assertThat(page.search()).isEqualTo("?wiki=" + wiki);

    open("?wiki=EN%20WIKI&bot=maybe&window=2h&utm_source=x");
    showsTheFeedFor(Choice.DEFAULT);
    String note = page.urlNote();
    assertThat(note).contains("EN WIKI").contains("maybe").contains("2h");
    shot("bad-link");
    page.clickOption("window", "1h");
    Wait.until("the note goes once a choice is made", () -> page.urlNote() == null);
    showsTheFeedFor(new Choice(null, null, "1h"));
  }

  @Test
  public void theControlsWorkFromTheKeyboardAndHaveNames() throws Exception {
    open("");
    assertThat(page.role("wiki")).isEqualTo("combobox");
    assertThat(page.accessibleName("wiki")).isEqualTo("Wiki");
    assertThat(page.accessibleName("bot-group")).isEqualTo("Editors");
    assertThat(page.accessibleName("bot-false")).isEqualTo("Humans");
    assertThat(page.accessibleName("window-group")).isEqualTo("Window");
    assertThat(page.accessibleName("window-1h")).isEqualTo("Last hour");
    assertThat(page.accessibleName("chart")).isEqualTo("Users with the most edits");

    // Tab order: the picker, the editors group (one stop), the window group (one stop).
    page.press(Keys.TAB);
    assertThat(page.focused()).isEqualTo("wiki");
    page.press(Keys.TAB);
    assertThat(page.focused()).isEqualTo("bot-any");
    page.press(Keys.ARROW_RIGHT);
    assertThat(page.focused()).isEqualTo("bot-false");
    showsTheFeedFor(new Choice(null, false, "all"));
    page.press(Keys.TAB);
    assertThat(page.focused()).isEqualTo("window-all");
    page.press(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT);
    assertThat(page.focused()).isEqualTo("window-1h");
    showsTheFeedFor(new Choice(null, false, "1h"));

    // Back to the picker: arrows move through the suggestions, Escape closes them, a second Escape undoes the typing.
    page.shiftTab(2);
    assertThat(page.focused()).isEqualTo("wiki");
    List<String> wikis = pickableWikis();
    String typed = wikis.get(0).substring(0, 1);
    page.press(typed);
    Wait.until("suggestions", () -> page.suggestionsOpen());
    page.press(Keys.ARROW_DOWN);
    assertThat(browser.driver().executeScript("return document.getElementById('wiki').getAttribute('aria-activedescendant');"))
      .isEqualTo("wiki-opt-0");
    page.press(Keys.ESCAPE);
    assertThat(page.suggestionsOpen()).isFalse();
    assertThat(page.wikiText()).isEqualTo(typed);
    page.press(Keys.ESCAPE);
    assertThat(page.wikiText()).isEmpty();
    assertThat(page.search()).isEqualTo("?bot=false&window=1h");

    // A code typed in full and Enter; then the clear button, reached with Tab, shows every wiki again.
    String wiki = wikis.get(wikis.size() - 1);
    page.press(wiki, Keys.ENTER);
    showsTheFeedFor(new Choice(wiki, false, "1h"));
    page.press(Keys.TAB);
    assertThat(page.focused()).isEqualTo("wiki-clear");
    assertThat(page.accessibleName("wiki-clear")).isEqualTo("Show all wikis");
    page.press(Keys.ENTER);
    showsTheFeedFor(new Choice(null, false, "1h"));
    assertThat(page.focused()).isEqualTo("wiki");

    // What is not a wiki code is not applied, and the hint says why.
    page.press("EN WIKI!", Keys.ENTER);
    assertThat(page.hintState()).isEqualTo("invalid");
    assertThat(browser.driver().executeScript("return document.getElementById('wiki').getAttribute('aria-invalid');")).isEqualTo("true");
    assertThat(page.search()).isEqualTo("?bot=false&window=1h");
    shot("invalid-wiki");
  }

  @Test
  public void hostileNamesAreShownAsText() throws Exception {
    Hostile h = hostile();
    open("?wiki=" + h.wiki());
    // Waited for as rendered (a bar for the name), then read: its text must be the name itself.
    Wait.until("the hostile user has a bar", Wait.LONG, () -> page.shownName("chart", h.user()) != null,
      () -> page.bars("chart").toString());
    Wait.until("the hostile wiki has a bar", Wait.LONG, () -> page.shownName("wikis", h.wikiName()) != null,
      () -> page.bars("wikis").toString());
    assertThat(page.shownName("chart", h.user())).isEqualTo(h.user());
    assertThat(page.shownName("wikis", h.wikiName())).isEqualTo(h.wikiName());
    assertThat(page.nameElements("chart", h.user())).as("elements made from the user's name").isZero();
    assertThat(page.nameElements("wikis", h.wikiName())).as("elements made from the wiki's name").isZero();
    showsTheFeedFor(new Choice(h.wiki(), null, "all"));
    // It is in the wiki list too, but cannot be picked: it is no wiki code. Typed text it contains opens the list
    // with the codes that match; it is not among them.
    String typed = "wiki";
    assertThat(h.wikiName()).contains(typed);
    assertThat(expected("wiki_edits").stream().map(r -> ((JsonArray) r).getValue(0))).as("the feed's wiki list").contains(h.wikiName());
    List<String> offered = suggestionsFor(pickableWikis(), typed);
    assertThat(offered).isNotEmpty();
    page.clearWikiText();
    page.typeWiki(typed);
    Wait.until("the suggestions for '" + typed + "'", Wait.LONG, () -> page.suggestions().equals(offered),
      () -> page.suggestions() + " vs " + offered);
    assertThat(page.suggestionTexts()).isEqualTo(offered);
    assertThat(browser.script("return document.querySelectorAll('img, script:not([src])').length;")).isZero();
    page.clearWikiText();
    page.typeWiki(h.wikiName().substring(0, 4));
    assertThat(page.suggestions()).doesNotContain(h.wikiName());
    page.press(Keys.ENTER);
    assertThat(page.hintState()).isEqualTo("invalid");
    assertThat(page.search()).isEqualTo("?wiki=" + h.wiki()); // Enter on text that is no code applied nothing
    // A link with markup in it: named in the note, as text.
    open("?wiki=%3Cimg%20src%3Dx%20onerror%3Dalert(3)%3E");
    assertThat(page.urlNote()).contains("<img src=x onerror=alert(3)>");
    assertThat(browser.script("return document.querySelectorAll('img, script:not([src])').length;")).isZero();
    assertThat(browser.alerts()).isEmpty();
    assertThat(browser.alertShowing()).isFalse();
    assertThat(browser.policyViolations()).as("nothing the page does is blocked by its CSP").isEmpty();
    shot("hostile-names");
  }

  @Test
  public void onAPhoneTheControlsAndPanelsStack() throws Exception {
    open("?wiki=" + pickableWikis().get(0) + "&bot=false&window=24h");
    browser.viewport(390, 844, true);
    Wait.until("nothing is wider than the phone and the panels stack in order", () -> browser.script(
      "const r = id => document.getElementById(id).getBoundingClientRect();"
        + "const ids = ['panel-counter', 'panel-top10', 'panel-epm', 'panel-wikis'];"
        + "for (let i = 1; i < ids.length; i++) { if (r(ids[i]).top < r(ids[i - 1]).bottom) return 0; }"
        + "if (r('controls').bottom > r('panel-counter').top + 1) return 0;"
        + "return document.documentElement.scrollWidth <= window.innerWidth ? 1 : 0;") == 1);
    shot("phone-390x844");
    browser.driver().executeScript("document.getElementById('panel-epm').scrollIntoView();");
    shot("phone-390x844-minutes");
    List<?> foreign = (List<?>) browser.driver().executeScript(
      "return performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith(location.origin));");
    assertThat(foreign).as("everything comes from the app itself").isEmpty();
  }
}
