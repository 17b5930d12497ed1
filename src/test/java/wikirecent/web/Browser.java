package wikirecent.web;

import io.vertx.core.json.JsonArray;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import wikirecent.testsupport.Tools;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The system's headless Chromium driven by its chromedriver, with nothing fetched from the
 * network (the driver path is given, so Selenium Manager never runs). Reads the dashboard through
 * its test hooks: {@code #counter[data-count]}, {@code #chart .bar[data-user|data-null-user][data-count][data-rank]},
 * {@code #conn[data-state]}.
 */
final class Browser implements AutoCloseable {

  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static final Path SCREENSHOTS = Path.of("target", "screenshots");

  private final ChromeDriver driver;
  private final ChromeDriverService service;
  private final Path profile;

  private Browser(ChromeDriver driver, ChromeDriverService service, Path profile) {
    this.driver = driver;
    this.service = service;
    this.profile = profile;
  }

  /** Skips (or, with WIKIRECENT_CI=1, fails) when the system browser is missing. */
  static void requireChromium() {
    Tools.require(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
      "browser tests need " + CHROMIUM + " and " + CHROMEDRIVER + " (apt-get install chromium chromium-driver)");
  }

  static Browser start() throws IOException {
    requireChromium();
    Path profile = Files.createTempDirectory("wikirecent-chromium");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage", "--disable-sync",
      "--lang=en-US", "--window-size=1280,800", "--user-data-dir=" + profile);
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
    ChromeDriverService service = new ChromeDriverService.Builder()
      .usingDriverExecutable(CHROMEDRIVER.toFile())
      .usingAnyFreePort()
      .withLogOutput(java.io.OutputStream.nullOutputStream())
      .build();
    ChromeDriver driver = new ChromeDriver(service, options);
    // Any alert() the page (or an injected name) calls is recorded instead of shown; so is
    // anything the page's Content-Security-Policy blocks.
    driver.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source",
      "window.__alerts = []; window.alert = function (m) { window.__alerts.push(String(m)); };"
        + "window.__blocked = []; document.addEventListener('securitypolicyviolation',"
        + " function (e) { window.__blocked.push(e.violatedDirective + ' ' + e.blockedURI); });"
        // every WebSocket the page opens, so a test can read what the handshake agreed (extensions), and the most
        // messages one SockJS frame (a[...]) brought it
        + "window.__sockets = []; window.WebSocket = class extends window.WebSocket {"
        + " constructor(...a) { super(...a); window.__sockets.push(this); this.mostPerFrame = 0;"
        + " this.addEventListener('message', e => { if (typeof e.data === 'string' && e.data.startsWith('a['))"
        + " this.mostPerFrame = Math.max(this.mostPerFrame, JSON.parse(e.data.slice(1)).length); }); } };"));
    return new Browser(driver, service, profile);
  }

  ChromeDriver driver() {
    return driver;
  }

  void open(String url) {
    driver.get(url);
  }

  /** The viewport of a laptop or a phone. */
  void viewport(int width, int height, boolean mobile) {
    driver.executeCdpCommand("Emulation.setDeviceMetricsOverride", Map.of(
      "width", width, "height", height, "deviceScaleFactor", mobile ? 2 : 1, "mobile", mobile));
  }

  String connState() {
    return (String) driver.executeScript("return document.getElementById('conn').dataset.state;");
  }

  /** The counter's value, or -1 before it has one. */
  long count() {
    String s = (String) driver.executeScript("return document.getElementById('counter').dataset.count || '';");
    return s.isEmpty() ? -1 : Long.parseLong(s);
  }

  String text(String id) {
    return (String) driver.executeScript("return document.getElementById(arguments[0]).textContent;", id);
  }

  String counterText() {
    return (String) driver.executeScript("return document.getElementById('counter').textContent;");
  }

  /** The chart's current bars in rank order, as view rows: [user or null, count]. */
  JsonArray bars() {
    Object rows = driver.executeScript(
      "return Array.from(document.querySelectorAll('#chart .bar'))"
        + ".sort((a, b) => Number(a.dataset.rank) - Number(b.dataset.rank))"
        + ".map(b => [b.dataset.nullUser === 'true' ? null : b.dataset.user, Number(b.dataset.count)]);");
    JsonArray out = new JsonArray();
    for (Object row : (List<?>) rows) {
      List<?> r = (List<?>) row;
      out.add(new JsonArray().add(r.get(0)).add(((Number) r.get(1)).longValue()));
    }
    return out;
  }

  /** Every element of the chart for this user, leaving ones included. */
  long elementsFor(String user) {
    return (Long) driver.executeScript(
      "return Array.from(document.querySelectorAll('#chart li')).filter(li => li.dataset.user === arguments[0]).length;", user);
  }

  /** The text a user's bar shows as its name. */
  String shownName(String user) {
    return (String) driver.executeScript(
      "const li = Array.from(document.querySelectorAll('#chart .bar')).find(li => li.dataset.user === arguments[0]);"
        + "return li ? li.querySelector('.name').textContent : null;", user);
  }

  String nullUserLabel() {
    return (String) driver.executeScript(
      "const li = document.querySelector('#chart .bar[data-null-user]'); return li ? li.querySelector('.name').textContent : null;");
  }

  long script(String js) {
    return ((Number) driver.executeScript(js)).longValue();
  }

  List<?> alerts() {
    return (List<?>) driver.executeScript("return window.__alerts;");
  }

  List<?> policyViolations() {
    return (List<?>) driver.executeScript("return window.__blocked;");
  }

  /** The page's WebSockets so far: URL, readyState (1: open) and the extensions the server agreed to. */
  List<?> sockets() {
    return (List<?>) driver.executeScript("return window.__sockets.map(s => [s.url, s.readyState, s.extensions]);");
  }

  /** The most messages any one SockJS frame brought the page. */
  long mostMessagesInOneFrame() {
    return (Long) driver.executeScript("return window.__sockets.reduce((n, s) => Math.max(n, s.mostPerFrame), 0);");
  }

  boolean alertShowing() {
    try {
      driver.switchTo().alert();
      return true;
    } catch (NoAlertPresentException e) {
      return false;
    }
  }

  Path screenshot(String name) throws IOException {
    Path target = SCREENSHOTS.resolve(name + ".png");
    Files.createDirectories(target.getParent());
    File shot = driver.getScreenshotAs(OutputType.FILE);
    Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
    return target;
  }

  @Override
  public void close() throws IOException {
    try {
      driver.quit();
    } finally {
      service.stop();
      try (Stream<Path> files = Files.walk(profile)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
