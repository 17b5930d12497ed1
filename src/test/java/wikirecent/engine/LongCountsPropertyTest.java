package wikirecent.engine;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The count table against a HashMap, through growth, removals that shift runs back, and shrinking. */
class LongCountsPropertyTest {

  @Provide
  Arbitrary<List<Long>> keys() {
    // few distinct keys, some far apart: long probe runs and wrap-around at the table's end
    Arbitrary<Long> key = Arbitraries.frequencyOf(
      net.jqwik.api.Tuple.of(5, Arbitraries.longs().between(0, 40)),
      net.jqwik.api.Tuple.of(1, Arbitraries.longs()));
    return key.list().ofMaxSize(600).withSizeDistribution(RandomDistribution.uniform());
  }

  @Property(tries = 300)
  void itCountsAsAMapDoes(@ForAll("keys") List<Long> keys, @ForAll("keys") List<Long> falls) {
    LongCounts counts = new LongCounts();
    Map<Long, Long> model = new HashMap<>();
    int f = 0;
    for (long k : keys) {
      assertThat(counts.add(k, 1)).isEqualTo(model.merge(k, 1L, Long::sum));
      // now and then take one away from an existing key, often down to 0
      if (f < falls.size() && model.containsKey(falls.get(f) % 41)) {
        long d = falls.get(f) % 41;
        long now = model.merge(d, -1L, Long::sum);
        if (now == 0) {
          model.remove(d);
        }
        assertThat(counts.add(d, -1)).isEqualTo(now);
      }
      f++;
    }
    // Over a copy of the keys: HashMap.merge may resize the table before it looks a key up (its own inserts above
    // do not check the size), and a resize under an iterator skips and repeats keys without a
    // ConcurrentModificationException.
    for (long k : new ArrayList<>(model.keySet())) {
      while (model.get(k) > 1 && k % 2 == 0) { // drain half the keys: the table shrinks back
        model.merge(k, -1L, Long::sum);
        counts.add(k, -1);
      }
    }
    model.entrySet().removeIf(e -> e.getKey() % 2 == 0 && counts.add(e.getKey(), -1) == 0);
    assertThat(counts.size()).isEqualTo(model.size());
    Map<Long, Long> seen = new HashMap<>();
    counts.forEach((k, c) -> assertThat(seen.put(k, c)).isNull());
    assertThat(seen).isEqualTo(model);
    for (long k = -5; k <= 45; k++) {
      assertThat(counts.get(k)).isEqualTo(model.getOrDefault(k, 0L));
    }
  }
}
