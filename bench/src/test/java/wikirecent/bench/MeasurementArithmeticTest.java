package wikirecent.bench;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The arithmetic the scenarios' figures rest on: a merged frame expanded into its batches, the missing-pairs bound,
 * percentiles, the marginal heap per client, a labelled metric, the used heap in jcmd's answer. Every expected value
 * is worked out by hand here.
 */
class MeasurementArithmeticTest {

  /** Each pair as "batch timestamp -> latency", latency = receipt - batch (both ms here). */
  private static List<String> latencies(BatchPairs pairs, List<Long> into) {
    List<String> seen = new ArrayList<>();
    pairs.expand((batch, receipt) -> {
      seen.add(batch + "->" + (receipt - batch));
      into.add(receipt - batch);
    });
    return seen;
  }

  /** Answers of jcmd GC.heap_info from OpenJDK 17 and Temurin 25 (trimmed to their heap lines and one Metaspace line). */
  @Test
  void usedHeapIsReadFromEachCollectorsAnswerInEitherJdk() {
    String g1Jdk17 = " garbage-first heap   total 397312K, used 18274K [0x0000000687400000, 0x0000000800000000)\n"
      + "  region size 4096K, 4 young (16384K), 0 survivors (0K)\n Metaspace       used 8907K, committed 9088K, reserved 1114112K";
    String g1Jdk25 = "garbage-first heap   total reserved 6172672K, committed 393216K, used 11476K [0x0000000687400000, 0x0000000800000000)\n"
      + " region size 4096K, 3 young (12288K), 1 survivors (4096K)";
    // A JVM that sees one CPU picks the serial collector: young and old spaces, each with its own line.
    String serialJdk17 = " def new generation   total 116160K, used 31477K [0x0000000687400000, 0x000000068f200000, 0x0000000704d50000)\n"
      + "  eden space 103296K,  30% used [0x0000000687400000, 0x00000006892bd738, 0x000000068d8e0000)\n"
      + " tenured generation   total 258048K, used 12175K [0x0000000704d50000, 0x0000000714950000, 0x0000000800000000)\n"
      + "   the space 258048K,   4% used [0x0000000704d50000, 0x0000000705933ef0, 0x0000000705934000, 0x0000000714950000)\n"
      + " Metaspace       used 9120K, committed 9344K, reserved 1114112K";
    String serialJdk25 = "DefNew     total 116160K, used 41823K [0x0000000687400000, 0x000000068f200000, 0x0000000704d50000)\n"
      + " eden space 103296K,  40% used [0x0000000687400000, 0x0000000689cd7d08, 0x000000068d8e0000)\n"
      + "Tenured    total 258048K, used 1166K [0x0000000704d50000, 0x0000000714950000, 0x0000000800000000)";
    String parallelJdk25 = "PSYoungGen      total 113152K, used 39913K [0x0000000782700000, 0x000000078a500000, 0x0000000800000000)\n"
      + " eden space 97280K, 41% used [0x0000000782700000,0x0000000784dfa4f0,0x0000000788600000)\n"
      + "ParOldGen       total 258048K, used 1166K [0x0000000687400000, 0x0000000697000000, 0x0000000782700000)";
    Map<String, Long> expected = new LinkedHashMap<>();
    expected.put(g1Jdk17, 18274L);
    expected.put(g1Jdk25, 11476L);
    expected.put(serialJdk17, 31477L + 12175L);
    expected.put(serialJdk25, 41823L + 1166L);
    expected.put(parallelJdk25, 39913L + 1166L);
    expected.put(" Metaspace       used 9120K, committed 9344K, reserved 1114112K", -1L);
    for (var c : expected.entrySet()) {
      assertThat(FanOutScenario.usedHeapKiB(c.getKey())).as(c.getKey()).isEqualTo(c.getValue());
    }
  }

  @Test
  void aFrameMergingThreeBatchesGivesThreeLatenciesEachFromItsOwnTimestamp() {
    BatchPairs pairs = new BatchPairs();
    // Other clients were sent 1000, 1010 and 1020 each as the newest of a frame (frames outside the window).
    pairs.learn(1000);
    pairs.learn(1010);
    pairs.learn(1020);
    pairs.learn(1030); // newer than the frame below: not in it
    // Our client held the state at 990 (its snapshot) and got one frame stamped 1020 at 1050.
    pairs.received(990, 1020, 1050, -1);

    List<Long> ms = new ArrayList<>();
    assertThat(latencies(pairs, ms)).containsExactly("1000->50", "1010->40", "1020->30");
    assertThat(ms).containsExactly(50L, 40L, 30L);
  }

  @Test
  void eachFrameDeliversOnlyWhatCameAfterTheStateItsClientHeld() {
    BatchPairs pairs = new BatchPairs();
    List.of(100L, 110L, 120L, 130L).forEach(pairs::learn);
    pairs.received(100, 120, 125, -1);   // 110, 120: 15 and 5 ms
    pairs.received(120, 130, 131, -1);   // 130 alone: 1 ms
    pairs.received(130, 130, 200, -1);   // nothing newer than it held: not a frame
    pairs.received(-1, 110, 112, -1);    // no state yet: its own batch alone, 2 ms (not 100 too)

    List<Long> ms = new ArrayList<>();
    assertThat(latencies(pairs, ms)).containsExactly("110->15", "120->5", "130->1", "110->2");
    assertThat(pairs.expand((b, r) -> { }).pairs()).as("expanded frames are dropped").isZero();
  }

  @Test
  void aFrameTeachesItsNewestBatchAndAnotherViewOfTheSameEngineBatchesSharesThem() {
    BatchPairs counter = new BatchPairs();
    BatchPairs follower = counter.sharingBatches();
    counter.received(500, 510, 515, -1);  // the counter client learns 510
    follower.received(500, 520, 560, -1); // the follower's merged frame: 510 (learnt by the counter) and 520
    counter.received(510, 520, 521, -1);

    List<Long> followerMs = new ArrayList<>();
    assertThat(latencies(follower, followerMs)).containsExactly("510->50", "520->40");
    List<Long> counterMs = new ArrayList<>();
    assertThat(latencies(counter, counterMs)).containsExactly("510->5", "520->1");
    assertThat(counter.learnt()).isEqualTo(2);
  }

  @Test
  void eventsBeyondTheTimedBatchesBoundTheMissingPairs() {
    BatchPairs pairs = new BatchPairs();
    pairs.learn(1000);
    // Counter frames: count 40 -> 44 (4 events) merging 1000 and 1020; 1010 was never anyone's newest.
    pairs.received(990, 1020, 1050, ClientMode.eventsBetween(40, 44));
    // 44 -> 45, one event, one batch: nothing unaccounted.
    pairs.received(1020, 1030, 1031, ClientMode.eventsBetween(44, 45));
    // A view without counts says nothing about what it lacks.
    pairs.received(1030, 1040, 1041, ClientMode.eventsBetween(-1, 7));

    BatchPairs.Expansion e = pairs.expand((b, r) -> { });
    assertThat(e.frames()).isEqualTo(3);
    assertThat(e.pairs()).isEqualTo(2 + 1 + 1);
    assertThat(e.unaccounted()).as("4 events - 2 batches timed, 1 - 1").isEqualTo(2);
    assertThat(ClientMode.eventsBetween(45, 44)).as("a count that went back").isEqualTo(-1);
  }

  @Test
  void missingPairsAreNoneWhenEveryPublishedBatchWasLearntElseTheSmallerBound() {
    // every batch learnt: nothing missing, whatever the events say
    assertThat(FanOutScenario.missingPairs(400, 400, 1000, 5000)).isZero();
    // 2 batches never learnt, 1,000 clients: at most 2,000 pairs, below the events' bound of 5,000
    assertThat(FanOutScenario.missingPairs(402, 400, 1000, 5000)).isEqualTo(2000);
    // ... unless the events' bound is lower
    assertThat(FanOutScenario.missingPairs(402, 400, 1000, 1500)).isEqualTo(1500);
    // /metrics not read: the events' bound alone
    assertThat(FanOutScenario.missingPairs(-1, 400, 1000, 77)).isEqualTo(77);
  }

  @Test
  void percentilesAreNearestRankAsTheHistogramsAndTheMedianIsTheMiddle() {
    List<Double> tenUnsorted = List.of(7.0, 3.0, 10.0, 1.0, 9.0, 2.0, 8.0, 4.0, 6.0, 5.0);
    // ceil(p/100 * 10)-th smallest
    assertThat(Stats.percentile(tenUnsorted, 50)).isEqualTo(5.0); // rank 5 (floor(0.5 * 10) took the 6th)
    assertThat(Stats.percentile(tenUnsorted, 90)).isEqualTo(9.0); // rank 9
    assertThat(Stats.percentile(tenUnsorted, 91)).isEqualTo(10.0); // ceil(9.1) = 10
    assertThat(Stats.percentile(tenUnsorted, 99)).isEqualTo(10.0);
    assertThat(Stats.percentile(tenUnsorted, 100)).isEqualTo(10.0);
    assertThat(Stats.percentile(tenUnsorted, 0)).isEqualTo(1.0); // at least the first
    assertThat(Stats.percentile(tenUnsorted, 10)).isEqualTo(1.0);
    assertThat(Stats.percentile(tenUnsorted, 11)).isEqualTo(2.0);
    assertThat(Stats.median(tenUnsorted)).isEqualTo(5.5);
    assertThat(Stats.percentile(List.of(42), 99)).isEqualTo(42.0);
    assertThat(Stats.percentile(List.<Double>of(), 50)).isNaN();

    List<Integer> hundred = new ArrayList<>();
    for (int i = 100; i >= 1; i--) {
      hundred.add(i);
    }
    // 0.07 * 100 is 7.000000000000001 in doubles: still rank 7
    assertThat(Stats.percentile(hundred, 7)).isEqualTo(7.0);
    assertThat(Stats.percentile(hundred, 99)).isEqualTo(99.0);
    assertThat(Stats.percentile(hundred, 99.9)).isEqualTo(100.0);

    // The histograms' percentiles (Stats.ms) take the same ranks: values 1..10 ms (to 3 digits: 5 ms reads 5.003).
    Histogram h = Stats.micros();
    for (int ms = 1; ms <= 10; ms++) {
      h.recordValue(ms * 1000L);
    }
    assertThat(Stats.ms(h, 50)).isEqualTo(5.0, within(0.01));
    assertThat(Stats.ms(h, 90)).isEqualTo(9.0, within(0.01));
    assertThat(Stats.ms(h, 91)).isEqualTo(10.0, within(0.01));
  }

  @Test
  void marginalHeapPerClientIsTheSlopeBetweenTwoRows() {
    Map<String, Object> fiveK = new LinkedHashMap<>(Map.of("clients", 5000, "heapMiB", 100.0));
    Map<String, Object> tenK = new LinkedHashMap<>(Map.of("clients", 10_000, "heapMiB", 150.0));
    // 50 MiB = 51,200 KiB over 5,000 more clients
    assertThat(FanOutScenario.marginalKiBPerClient(fiveK, tenK, "heapMiB")).isEqualTo(10.24, within(1e-9));
    Map<String, Object> unknown = new LinkedHashMap<>(Map.of("clients", 1000, "heapMiB", -1 / 1048576.0));
    assertThat(FanOutScenario.marginalKiBPerClient(unknown, fiveK, "heapMiB")).isNaN();
  }

  @Test
  void aMetricIsSummedOverTheSamplesWithTheLabelAsked() {
    String metrics = String.join("\n",
      "# HELP wikirecent_views_batches_published_total Batches published on the event bus",
      "wikirecent_views_batches_published_total{view=\"counter\"} 12.0",
      "wikirecent_views_batches_published_total{view=\"top10\"} 30.0",
      "wikirecent_views_batches_published_totally{view=\"counter\"} 99.0",
      "wikirecent_web_frames_dropped_total 5.0");
    assertThat(FanOutScenario.metric(metrics, "wikirecent_views_batches_published_total", "view=\"counter\"")).isEqualTo(12);
    assertThat(FanOutScenario.metric(metrics, "wikirecent_views_batches_published_total")).isEqualTo(42);
    assertThat(FanOutScenario.metric(metrics, "wikirecent_web_frames_dropped_total")).isEqualTo(5);
    assertThat(FanOutScenario.metric(metrics, "wikirecent_web_frames_dropped_total", "view=\"counter\"")).isZero();
    assertThat(FanOutScenario.metric(null, "x", "view=\"counter\"")).isEqualTo(-1);
  }

  /** 1..1000 µs timed and some pairs untimed: the p99 as if those were slower than every timed one. */
  @Test
  void theP99WithTheUntimedPairsSlowestMovesUpByTheirShare() {
    Histogram h = new Histogram(600_000_000L, 3);
    for (int v = 1; v <= 1000; v++) {
      h.recordValue(v);
    }
    assertThat(Stats.msIfUntimedSlowest(h, 99, 0)).isEqualTo(Stats.ms(h, 99)).isEqualTo(0.990);
    // 10 untimed of 1,010: the 99th percentile is rank ceil(999.9) = 1000 of the timed ones, the slowest.
    assertThat(Stats.msIfUntimedSlowest(h, 99, 10)).isEqualTo(1.000);
    assertThat(Stats.msIfUntimedSlowest(h, 99, 5)).isEqualTo(0.995);
    assertThat(Stats.msIfUntimedSlowest(h, 99, 11)).as("the untimed alone pass the p99: no bound").isEqualTo(-1);
  }

  /** utime and stime are fields 14 and 15, counted after the name, which may hold spaces and parentheses. */
  @Test
  void aProcessCpuTimeIsItsUserAndSystemTicks() {
    String line = "4242 (java (a b) c) S 1 4242 4242 0 -1 4194560 123 0 0 0 250 75 3 4 20 0 40 0 100 0 0";
    assertThat(Machine.cpuNanosOfStat(line)).isEqualTo((250 + 75) * 10_000_000L);
    long self = Machine.processCpuNanos(ProcessHandle.current().pid());
    assertThat(self).as("this JVM has run for a while").isPositive();
  }
}
