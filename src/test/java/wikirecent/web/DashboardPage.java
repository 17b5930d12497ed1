package wikirecent.web;

import io.vertx.core.json.JsonArray;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.interactions.Actions;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The dashboard as a test drives and reads it, through its stable hooks only:
 * <ul>
 *   <li>controls: {@code #wiki} (combobox; suggestions {@code #wiki-list li[data-wiki]}, {@code #wiki-hint[data-state]},
 *   {@code #wiki-clear}), radios {@code input[name=bot]} (any, false, true) and {@code input[name=window]}
 *   (all, 24h, 1h, 5m), {@code #controls[data-query]} (the canonical query shown in the URL), {@code #url-note};</li>
 *   <li>panels {@code #panel-counter}, {@code #panel-top10}, {@code #panel-wikis}, {@code #panel-epm}, each with
 *   {@code data-key} (the canonical key it follows), {@code data-state} (loading, live, error) and
 *   {@code .panel-error[data-code]};</li>
 *   <li>data: {@code #counter[data-count]}; bars {@code #chart} (top10) and {@code #wikis} (top_wikis),
 *   {@code .bar[data-user|data-wiki|data-null-*][data-count][data-rank]}; the minute chart {@code #epm[data-start][data-end]}
 *   with {@code g.minute[data-minute][data-humans][data-bots]}.</li>
 * </ul>
 */
final class DashboardPage {

  static final String COUNTER = "panel-counter";
  static final String TOP10 = "panel-top10";
  static final String WIKIS = "panel-wikis";
  static final String MINUTES = "panel-epm";
  static final List<String> PANELS = List.of(COUNTER, TOP10, WIKIS, MINUTES);

  private final Browser browser;

  DashboardPage(Browser browser) {
    this.browser = browser;
  }

  ChromeDriver driver() {
    return browser.driver();
  }

  private Object js(String script, Object... args) {
    return browser.driver().executeScript(script, args);
  }

  // ---- the choice ----

  /** location.search as the page left it (canonical, or empty). */
  String search() {
    return (String) js("return location.search;");
  }

  String checked(String group) {
    return (String) js("const r = document.querySelector('input[name=\"' + arguments[0] + '\"]:checked'); return r ? r.value : null;", group);
  }

  String wikiText() {
    return (String) js("return document.getElementById('wiki').value;");
  }

  String hintState() {
    return (String) js("return document.getElementById('wiki-hint').dataset.state;");
  }

  /** The note about a link's bad values, or null while hidden. */
  String urlNote() {
    return (String) js("const n = document.getElementById('url-note'); return n.hidden ? null : n.textContent;");
  }

  boolean suggestionsOpen() {
    return (Boolean) js("return !document.getElementById('wiki-list').hidden;");
  }

  @SuppressWarnings("unchecked")
  List<String> suggestions() {
    return (List<String>) js("const l = document.getElementById('wiki-list');"
      + "return l.hidden ? [] : Array.from(l.querySelectorAll('li')).map(li => li.dataset.wiki);");
  }

  /** The suggestions' shown names (their text), in order; empty while the list is hidden. */
  @SuppressWarnings("unchecked")
  List<String> suggestionTexts() {
    return (List<String>) js("const l = document.getElementById('wiki-list');"
      + "return l.hidden ? [] : Array.from(l.querySelectorAll('li .w')).map(w => w.textContent);");
  }

  /** Focuses the wiki input and types into it (keys as a person presses them). */
  void typeWiki(CharSequence... keys) {
    WebElement input = browser.driver().findElement(By.id("wiki"));
    if (!"wiki".equals(focused())) {
      input.click();
    }
    input.sendKeys(keys);
  }

  void clearWikiText() {
    typeWiki(Keys.chord(Keys.CONTROL, "a"), Keys.BACK_SPACE);
  }

  /** Presses keys on whatever has the focus. */
  void press(CharSequence... keys) {
    new Actions(browser.driver()).sendKeys(keys).perform();
  }

  /** Moves the focus back n stops (Shift+Tab). */
  void shiftTab(int n) {
    Actions a = new Actions(browser.driver()).keyDown(Keys.SHIFT);
    for (int i = 0; i < n; i++) {
      a = a.sendKeys(Keys.TAB);
    }
    a.keyUp(Keys.SHIFT).perform();
  }

  /** Clicks the visible label of a radio (the radio itself is visually hidden). */
  void clickOption(String group, String value) {
    browser.driver().findElement(By.cssSelector("label[for=\"" + group + "-" + value + "\"]")).click();
  }

  String focused() {
    return (String) js("return document.activeElement ? document.activeElement.id : null;");
  }

  String accessibleName(String id) {
    return browser.driver().findElement(By.id(id)).getAccessibleName();
  }

  String role(String id) {
    return browser.driver().findElement(By.id(id)).getAriaRole();
  }

  /**
   * From the next page loaded on, the page's own bridge frames are recorded as it sends them
   * (register/unregister with their address); installed once per browser.
   */
  void recordSentFrames() {
    browser.driver().executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source",
      "window.__sent = []; const send = WebSocket.prototype.send;"
        + "if (!send.__recording) { const rec = function (data) {"
        + " try { for (const f of JSON.parse(data)) { const m = JSON.parse(f); if (m.type !== 'ping') window.__sent.push(m.type + ' ' + m.address); } } catch (e) { }"
        + " return send.apply(this, arguments); }; rec.__recording = true; WebSocket.prototype.send = rec; }"));
  }

  /**
   * From the next page loaded on, every panel error shown is recorded the moment it shows (a MutationObserver from the
   * document's start), so one shown briefly between two looks is not missed; installed once per browser.
   */
  void recordErrorsShown() {
    browser.driver().executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source",
      "window.__errors = [];"
        + "const seen = () => document.querySelectorAll('.panel-error').forEach(e => {"
        + " if (!e.hidden) { const p = e.parentElement.closest('[id]'); window.__errors.push((p ? p.id : '?') + ' ' + (e.dataset.code || '')); } });"
        + "new MutationObserver(seen).observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ['hidden', 'data-code']});"));
  }

  /** The panel errors shown since the page loaded ("counter 503"), once {@link #recordErrorsShown} is on. */
  @SuppressWarnings("unchecked")
  List<String> errorsShown() {
    return (List<String>) js("return window.__errors || [];");
  }

  /** What the page sent since it loaded, in order ("register views.top10"), once {@link #recordSentFrames} is on. */
  @SuppressWarnings("unchecked")
  List<String> sentFrames() {
    return (List<String>) js("return window.__sent || [];");
  }

  // ---- the panels ----

  String key(String panel) {
    return (String) js("return document.getElementById(arguments[0]).dataset.key || null;", panel);
  }

  String state(String panel) {
    return (String) js("return document.getElementById(arguments[0]).dataset.state;", panel);
  }

  /** Every panel's key, panel id -> key. */
  @SuppressWarnings("unchecked")
  Map<String, String> keys() {
    return (Map<String, String>) js("const o = {}; for (const id of arguments[0]) { o[id] = document.getElementById(id).dataset.key || null; } return o;", PANELS);
  }

  /** The code of the error a panel shows, or null while it shows none. */
  String errorCode(String panel) {
    return (String) js("const e = document.getElementById(arguments[0]).querySelector('.panel-error');"
      + "return e.hidden ? null : (e.dataset.code || '');", panel);
  }

  String errorText(String panel) {
    return (String) js("return document.getElementById(arguments[0]).querySelector('.panel-error').textContent;", panel);
  }

  long count() {
    return browser.count();
  }

  /** A bar chart's bars in rank order, as view rows: [name or null, count]. list is "chart" (users) or "wikis". */
  JsonArray bars(String list) {
    String field = list.equals("chart") ? "user" : "wiki";
    String nullField = list.equals("chart") ? "nullUser" : "nullWiki";
    Object rows = js("return Array.from(document.querySelectorAll('#' + arguments[0] + ' .bar'))"
      + ".sort((a, b) => Number(a.dataset.rank) - Number(b.dataset.rank))"
      + ".map(b => [b.dataset[arguments[2]] === 'true' ? null : b.dataset[arguments[1]], Number(b.dataset.count)]);",
      list, field, nullField);
    JsonArray out = new JsonArray();
    for (Object row : (List<?>) rows) {
      List<?> r = (List<?>) row;
      out.add(new JsonArray().add(r.get(0)).add(((Number) r.get(1)).longValue()));
    }
    return out;
  }

  /** The name a bar shows (its text), or null when there is no bar for it. */
  String shownName(String list, String name) {
    String field = list.equals("chart") ? "user" : "wiki";
    return (String) js("const li = Array.from(document.querySelectorAll('#' + arguments[0] + ' .bar'))"
      + ".find(li => li.dataset[arguments[1]] === arguments[2]);"
      + "return li ? li.querySelector('.name').textContent : null;", list, field, name);
  }

  /** How many elements the name of a bar holds (none when it is text), or -1 when there is no bar for it. */
  long nameElements(String list, String name) {
    String field = list.equals("chart") ? "user" : "wiki";
    return ((Number) js("const li = Array.from(document.querySelectorAll('#' + arguments[0] + ' .bar'))"
      + ".find(li => li.dataset[arguments[1]] === arguments[2]);"
      + "return li ? li.querySelector('.name').querySelectorAll('*').length : -1;", list, field, name)).longValue();
  }

  /**
   * The minute chart as view rows [minute, bot, count], minute then humans before bots, leaving out
   * zeros (the view has no row for them): comparable with edits_per_minute.
   */
  JsonArray minuteRows() {
    Object cols = js("return Array.from(document.querySelectorAll('#epm g.minute'))"
      + ".filter(g => g.dataset.minute !== undefined)"
      + ".map(g => [Number(g.dataset.minute), Number(g.dataset.humans), Number(g.dataset.bots)]);");
    List<long[]> columns = new ArrayList<>();
    for (Object c : (List<?>) cols) {
      List<?> l = (List<?>) c;
      columns.add(new long[] {((Number) l.get(0)).longValue(), ((Number) l.get(1)).longValue(), ((Number) l.get(2)).longValue()});
    }
    columns.sort((a, b) -> Long.compare(a[0], b[0]));
    JsonArray out = new JsonArray();
    for (long[] c : columns) {
      if (c[1] > 0) {
        out.add(new JsonArray().add(c[0]).add(false).add(c[1]));
      }
      if (c[2] > 0) {
        out.add(new JsonArray().add(c[0]).add(true).add(c[2]));
      }
    }
    return out;
  }

  /** How many minute columns the chart draws, and the minute it ends at (null before it has any). */
  long minuteColumns() {
    return ((Number) js("return document.querySelectorAll('#epm g.minute').length;")).longValue();
  }

  Long minuteEnd() {
    String end = (String) js("return document.getElementById('epm').dataset.end || null;");
    return end == null ? null : Long.parseLong(end);
  }

  /** Minutes the chart shows as zero although it draws them (columns with a minute and no edits). */
  long zeroColumns() {
    return ((Number) js("return Array.from(document.querySelectorAll('#epm g.minute'))"
      + ".filter(g => g.dataset.minute !== undefined && g.dataset.humans === '0' && g.dataset.bots === '0').length;")).longValue();
  }
}
