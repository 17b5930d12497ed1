package wikirecent.testsupport;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/** The rule for tests that need a system tool (PostgreSQL binaries, chromium, curl). */
public final class Tools {

  private Tools() {
  }

  /**
   * Returns if the tool is {@code present}. Otherwise fails when {@code WIKIRECENT_CI=1} is set (CI must run
   * every test), else aborts the calling test: skipped, with {@code missing} as the reason.
   */
  public static void require(boolean present, String missing) {
    if (present) {
      return;
    }
    if ("1".equals(System.getenv("WIKIRECENT_CI"))) {
      Assertions.fail(missing + "; WIKIRECENT_CI=1 requires it");
    }
    Assumptions.abort(missing + "; skipping");
  }
}
