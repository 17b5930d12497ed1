package wikirecent.bus;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class UserOrderTest {

  // Code-point order is UTF-8 byte order: compute the expectation from the bytes.
  private static int byUtf8Bytes(String a, String b) {
    return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void namesSortInCodePointOrderNotUtf16Order() {
    String bmpHigh = "\uFF21";          // FULLWIDTH A, U+FF21
    String astral = "\uD83D\uDE00";     // U+1F600, a surrogate pair in UTF-16
    assertThat(bmpHigh.compareTo(astral)).isPositive(); // what String.compareTo says
    assertThat(UserOrder.CODE_POINT.compare(bmpHigh, astral)).isNegative();
    List<String> names = new ArrayList<>(List.of("b", "B", "a", "Ä", astral, bmpHigh, "ab", "", "a\u0000", "Z"));
    List<String> expected = new ArrayList<>(names);
    expected.sort(UserOrderTest::byUtf8Bytes);
    names.sort(UserOrder.CODE_POINT);
    assertThat(names).isEqualTo(expected);
  }

  @Test
  void countDescendingThenNameThenNull() {
    assertThat(UserOrder.compare("z", 5, "a", 4)).isNegative();
    assertThat(UserOrder.compare("a", 4, "b", 4)).isNegative();
    assertThat(UserOrder.compare(null, 4, "b", 4)).isPositive();
    assertThat(UserOrder.compare(null, 5, "b", 4)).isNegative();
    assertThat(UserOrder.compare(null, 4, null, 4)).isZero();
  }
}
