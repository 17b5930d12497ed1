package wikirecent.ingest;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RecentIdsTest {

  @Test
  void remembersTheLastIdsOnly() {
    RecentIds ids = new RecentIds(3);
    assertThat(ids.add("a")).isTrue();
    assertThat(ids.add("b")).isTrue();
    assertThat(ids.add("a")).isFalse();
    assertThat(ids.add("c")).isTrue();
    assertThat(ids.add("d")).isTrue(); // "a" leaves
    assertThat(ids.size()).isEqualTo(3);
    assertThat(ids.contains("a")).isFalse();
    assertThat(ids.contains("b")).isTrue();
    assertThat(ids.add("a")).isTrue();
    assertThat(ids.contains("b")).isFalse();
  }
}
