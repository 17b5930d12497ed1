package wikirecent.bus;

import java.util.Comparator;

/**
 * The order of {@code top10}: count descending, then user name in code-point order (what
 * PostgreSQL's C collation and Materialize give), NULL after every name.
 */
public final class UserOrder {

  /** Code-point order of two strings; {@link String#compareTo} is UTF-16 order, which differs past U+FFFF. */
  public static final Comparator<String> CODE_POINT = UserOrder::compareCodePoints;

  /** Names in code-point order, null last. */
  public static final Comparator<String> NAME = Comparator.nullsLast(CODE_POINT);

  private UserOrder() {
  }

  /** Ranks (user, count) pairs the way {@code ORDER BY count DESC, user} does. */
  public static int compare(String userA, long countA, String userB, long countB) {
    if (countA != countB) {
      return countA > countB ? -1 : 1;
    }
    return NAME.compare(userA, userB);
  }

  static int compareCodePoints(String a, String b) {
    int n = Math.min(a.length(), b.length());
    for (int i = 0; i < n; i++) {
      char x = a.charAt(i);
      char y = b.charAt(i);
      if (x != y) {
        return fixup(x) - fixup(y);
      }
    }
    return a.length() - b.length();
  }

  // Surrogates (D800-DFFF) encode code points above FFFF, so they must sort after E000-FFFF.
  private static int fixup(char c) {
    if (c >= 0xD800) {
      return c >= 0xE000 ? c - 0x800 : c + 0x2000;
    }
    return c;
  }
}
