package wikirecent.testsupport;

import wikirecent.bus.ViewParams;

/**
 * How long each {@code window=} is, as the README states it, for the tests' oracles: written here, not taken from
 * {@link ViewParams.Window#seconds()}, so a wrong length there cannot agree with itself.
 */
public final class WindowLengths {

  private WindowLengths() {
  }

  /** Seconds of the window its URL text names: 5m, 1h, 24h; 0 for all (no window). */
  public static long seconds(ViewParams.Window window) {
    return switch (window.text()) {
      case "5m" -> 300;
      case "1h" -> 3_600;
      case "24h" -> 86_400;
      case "all" -> 0;
      default -> throw new IllegalArgumentException("no length: " + window.text());
    };
  }
}
