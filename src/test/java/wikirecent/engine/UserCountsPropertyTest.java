package wikirecent.engine;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The open-addressing table against a HashMap, through growth and hash collisions. */
class UserCountsPropertyTest {

  @Provide
  Arbitrary<List<String>> users() {
    // "Aa" and "BB" share a hashCode, as do all their concatenations: probing gets exercised.
    Arbitrary<String> colliding = Arbitraries.of("Aa", "BB").list().ofMinSize(1).ofMaxSize(4).map(l -> String.join("", l));
    Arbitrary<String> many = Arbitraries.integers().between(0, 5000).map(i -> "user" + i);
    return Arbitraries.oneOf(colliding, many, Arbitraries.strings().ofMaxLength(3)).list().ofMaxSize(3000);
  }

  @Property(tries = 200)
  void countsLikeAHashMap(@ForAll("users") List<String> users) {
    UserCounts counts = new UserCounts();
    Map<String, Long> expected = new HashMap<>();
    for (String u : users) {
      long n = counts.add(u, 1);
      assertThat(n).isEqualTo(expected.merge(u, 1L, Long::sum));
    }
    assertThat(counts.size()).isEqualTo(expected.size());
    Map<String, Long> seen = new HashMap<>();
    counts.forEach((u, c) -> assertThat(seen.put(u, c)).isNull());
    assertThat(seen).isEqualTo(expected);
    for (String u : expected.keySet()) {
      assertThat(counts.get(u)).isEqualTo(expected.get(u));
    }
    assertThat(counts.get("never added \u0000")).isZero();
  }
}
