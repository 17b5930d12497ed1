package wikirecent.engine;

import org.junit.jupiter.api.Test;
import wikirecent.bus.ViewParams;
import wikirecent.bus.ViewParams.View;
import wikirecent.bus.ViewParams.Window;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Opens come out first come first served, once per set however often it was asked for, in rounds bounded by a time budget. */
class OpenQueueTest {

  private static final long MS = 1_000_000;

  private final OpenQueue<String> queue = new OpenQueue<>();
  private final long[] clock = {0};
  private final List<String> opened = new ArrayList<>();

  private static ViewParams top10(String wiki) {
    return ViewParams.of(View.TOP10).withWiki(wiki).withWindow(Window.DAY);
  }

  /** Each open takes {@code ms} of the fake clock. */
  private boolean round(long ms) {
    return queue.run(20 * MS, () -> clock[0], (params, askers) -> {
      opened.add(params.wiki() + askers);
      clock[0] += ms * MS;
    });
  }

  @Test
  void aSetAskedForTwiceWhileWaitingOpensOnceAndAnswersBoth() {
    assertThat(queue.add(top10("a"), "r1")).isTrue();
    assertThat(queue.add(top10("b"), "r2")).isTrue();
    assertThat(queue.add(top10("a"), "r3")).isFalse();
    assertThat(queue.size()).isEqualTo(2);
    assertThat(queue.contains(top10("a"))).isTrue();
    assertThat(round(1)).isFalse();
    assertThat(opened).containsExactly("a[r1, r3]", "b[r2]");
    assertThat(queue.isEmpty()).isTrue();
  }

  @Test
  void aRoundStopsOnceItsBudgetIsSpentAndTheRestWaitsInOrder() {
    for (int i = 0; i < 10; i++) {
      queue.add(top10("w" + i), "r" + i);
    }
    assertThat(round(8)).as("8 + 8 < 20 ms, the third reaches it").isTrue();
    assertThat(opened).containsExactly("w0[r0]", "w1[r1]", "w2[r2]");
    opened.clear();
    assertThat(round(85)).as("a slow open ends its round alone").isTrue();
    assertThat(opened).containsExactly("w3[r3]");
    opened.clear();
    while (round(1)) {
      // the rest
    }
    assertThat(opened).containsExactly("w4[r4]", "w5[r5]", "w6[r6]", "w7[r7]", "w8[r8]", "w9[r9]");
  }

  @Test
  void aRequestDuringItsOwnOpenQueuesItAgain() {
    queue.add(top10("a"), "r1");
    boolean more = queue.run(20 * MS, () -> clock[0], (params, askers) -> {
      opened.add(params.wiki() + askers);
      assertThat(queue.contains(params)).as("taken out before it is opened").isFalse();
      queue.add(params, "r2");
    });
    assertThat(more).isTrue();
    assertThat(queue.contains(top10("a"))).isTrue();
  }

  @Test
  void drainTakesEverything() {
    queue.add(top10("a"), "r1");
    queue.add(top10("b"), "r2");
    Map<ViewParams, List<String>> all = queue.drain();
    assertThat(all.keySet()).containsExactly(top10("a"), top10("b"));
    assertThat(queue.isEmpty()).isTrue();
  }
}
