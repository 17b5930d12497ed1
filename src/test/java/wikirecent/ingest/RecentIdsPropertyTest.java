package wikirecent.ingest;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The window against a plain model (a deque of the last ids, searched from end to end): the same answer to every
 * add and contains, through wrap-arounds, growth and ids whose String hashes collide ("Aa" and "BB" share one).
 * A wrong "already there" would drop an event; a wrong "new" would write a duplicate.
 */
class RecentIdsPropertyTest {

  private static final String[] COLLIDING = {"Aa", "BB", "AaAa", "AaBB", "BBAa", "BBBB"};

  @Property(tries = 400)
  void answersAsTheLastIdsDo(@ForAll @IntRange(min = 1, max = 300) int capacity,
                             @ForAll @Size(max = 3000) List<@IntRange(min = 0, max = 400) Integer> picks) {
    RecentIds ids = new RecentIds(capacity);
    Deque<String> model = new ArrayDeque<>();
    for (int pick : picks) {
      String id = pick < COLLIDING.length ? COLLIDING[pick] : "id-" + pick;
      String probe = "id-" + (pick * 7 % 401);
      assertThat(ids.contains(probe)).isEqualTo(model.contains(probe));
      boolean fresh = !model.contains(id);
      assertThat(ids.add(id)).isEqualTo(fresh);
      if (fresh) {
        model.addLast(id);
        if (model.size() > capacity) {
          model.removeFirst();
        }
      }
      assertThat(ids.size()).isEqualTo(model.size());
    }
    for (int pick = 0; pick <= 400; pick++) {
      String id = pick < COLLIDING.length ? COLLIDING[pick] : "id-" + pick;
      assertThat(ids.contains(id)).isEqualTo(model.contains(id));
    }
  }
}
