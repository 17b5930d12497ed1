package wikirecent.ingest;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** Where each connection starts, through a sequence of answers; the counters say how often ingest fell back. */
class ResumePlannerTest {

  private static final String DT = "2018-03-07T16:16:17+00:00";
  private static final Instant T = Instant.parse("2018-03-07T16:16:17Z");

  private final IngestMeters counters = new IngestMeters(new SimpleMeterRegistry());
  private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2024-05-01T12:00:00Z"));
  private final ResumePlanner planner = new ResumePlanner(64, 60, now::get, counters);

  @Test
  void aFreshFileStartsTheBackfillBackComputedOnce() {
    ResumePoint first = planner.plan("", null, true);
    assertThat(first.since()).isEqualTo(Instant.parse("2024-05-01T11:00:00Z"));
    now.set(now.get().plusSeconds(30));
    assertThat(planner.plan("", null, true).since()).isEqualTo(first.since());
    planner.newFile();
    assertThat(planner.plan("", null, true).since()).isEqualTo(Instant.parse("2024-05-01T11:00:30Z"));
    assertThat(new ResumePlanner(64, 0, now::get, counters).plan("", null, true)).satisfies(p -> {
      assertThat(p.id()).isNull();
      assertThat(p.since()).isNull();
    });
    assertThat(counters.resumeIdFallbacks.count()).isZero();
  }

  @Test
  void aUsableIdResumesByIdAnUnusableOneByTimeOnceCounted() {
    assertThat(planner.plan("[1]", DT, false).id()).isEqualTo("[1]");
    String big = "x".repeat(65);
    assertThat(planner.plan(big, DT, false).since()).isEqualTo(T);
    assertThat(planner.plan(big, DT, false).since()).isEqualTo(T);
    assertThat(counters.resumeIdFallbacks.count()).isEqualTo(1.0);
    assertThat(planner.plan(big, null, false)).satisfies(p -> assertThat(p.since()).isNull()); // no time: the live edge
    assertThat(planner.plan("", DT, false).since()).as("a file whose last record has no id").isEqualTo(T);
    assertThat(counters.resumeIdFallbacks.count()).isEqualTo(2.0);
  }

  @Test
  void aRefusedIdThenARefusedTimeEndAtTheLiveEdgeNeverALoop() {
    ResumePoint byId = planner.plan("[1]", DT, false);
    assertThat(planner.refused(byId, 503, "busy")).isFalse(); // not about the request's id
    assertThat(planner.refused(byId, 431, "too large")).isTrue();
    ResumePoint byTime = planner.plan("[1]", DT, false);
    assertThat(byTime.id()).isNull();
    assertThat(byTime.since()).isEqualTo(T);
    assertThat(planner.refused(byTime, 400, "bad since")).isTrue();
    ResumePoint live = planner.plan("[1]", DT, false);
    assertThat(live.id()).isNull();
    assertThat(live.since()).isNull();
    assertThat(counters.resumeIdFallbacks.count()).isEqualTo(2.0);
    // the live edge refused as well: it was not about the id or the time; back to the id, with normal back-off
    assertThat(planner.refused(live, 400, "everything")).isFalse();
    ResumePoint again = planner.plan("[1]", DT, false);
    assertThat(again.id()).isEqualTo("[1]");
    assertThat(planner.refused(again, 400, "still everything")).isFalse();
    assertThat(counters.resumeIdFallbacks.count()).isEqualTo(2.0);
    // the server answers again, to the id it refused before: the id was fine after all
    planner.connected(again);
    assertThat(planner.plan("[1]", DT, false).id()).isEqualTo("[1]");
    // while an id the server refuses when it answers others stays refused
    ResumePoint other = planner.plan("[2]", DT, false);
    assertThat(planner.refused(other, 431, "too large")).isTrue();
    planner.connected(planner.plan("[2]", DT, false));
    assertThat(planner.plan("[2]", DT, false).id()).isNull();
  }
}
