package wikirecent.engine;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The top list under counts that rise and fall, against a full sort after every change. */
class ShapedTopPropertyTest {

  private static final String[] NAMES = {null, "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m",
    "\u00c4", "\uFF21", "\uD83D\uDE00", "B", "ab", ""};

  @Provide
  Arbitrary<List<Integer>> steps() {
    // a key, plus 100 when it should fall (if it can): rises outnumber falls a little
    Arbitrary<Integer> key = Arbitraries.integers().between(0, NAMES.length - 1)
      .withDistribution(RandomDistribution.gaussian(0.8));
    Arbitrary<Integer> step = Arbitraries.frequencyOf(
      net.jqwik.api.Tuple.of(5, key),
      net.jqwik.api.Tuple.of(4, key.map(k -> k + 100)));
    return step.list().ofMinSize(1).ofMaxSize(400).withSizeDistribution(RandomDistribution.uniform());
  }

  @Property(tries = 500)
  void theListIsAlwaysTheBestTen(@ForAll("steps") List<Integer> steps, @ForAll @IntRange(min = 10, max = 14) int capacity) {
    LongCounts counts = new LongCounts();
    ShapedTop top = new ShapedTop(10, capacity, k -> NAMES[(int) k]);
    Map<Integer, Long> model = new HashMap<>();
    top.rows(counts);
    for (int s : steps) {
      int key = s % 100;
      long delta = s >= 100 && model.getOrDefault(key, 0L) > 0 ? -1 : 1;
      long now = counts.add(key, delta);
      model.merge(key, delta, Long::sum);
      model.remove(key, 0L);
      top.changed(key, now, delta);
      List<ShapedTop.Row> rows = top.rows(counts);
      List<Map.Entry<String, Long>> expected = new ArrayList<>();
      model.forEach((k, c) -> expected.add(new AbstractMap.SimpleImmutableEntry<>(NAMES[k], c)));
      expected.sort(Oracle.TOP10_ORDER);
      List<Map.Entry<String, Long>> actual = new ArrayList<>();
      rows.forEach(r -> actual.add(new AbstractMap.SimpleImmutableEntry<>(NAMES[(int) r.key()], r.count())));
      assertThat(actual).isEqualTo(expected.subList(0, Math.min(10, expected.size())));
      assertThat(counts.size()).isEqualTo(model.size());
    }
    Statistics.label("groups at the end").collect(model.size() > 10 ? ">10" : "<=10");
  }
}
