package wikirecent.engine;

import io.vertx.core.json.JsonObject;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewParams;
import wikirecent.bus.ViewTable;
import wikirecent.engine.ShapedModel.Draft;
import wikirecent.engine.ShapedModel.Ev;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine over a real file that grows by random appends (cut anywhere), read in random step sizes,
 * with parameter sets opened and closed between steps and restarts from checkpoints: at every published
 * timestamp, each live set's rows as a subscriber holds them (its snapshot, then every batch) equal
 * {@link ShapedModel}'s recomputation over the events of the complete records read so far, for the
 * watermark those events give. Event times jump ahead, come late and are missing, so windows fill, slide
 * and empty out between and within batches.
 */
class EngineShapedPropertyTest {

  /** A record's data line: an event (null for a line PostgreSQL refuses) or, for an invalid line, its text. */
  record Line(Draft draft, String invalid) {
  }

  @Provide
  Arbitrary<List<Line>> lines() {
    Arbitrary<Line> line = Arbitraries.frequencyOf(
      net.jqwik.api.Tuple.of(20, ShapedModel.draft().map(d -> new Line(d, null))),
      net.jqwik.api.Tuple.of(1, Arbitraries.of("not json", "{\"user\":\"\\u0000\",\"timestamp\":99999999999}", "{\"wiki\":\"enwiki\"")
        .map(s -> new Line(null, s))));
    return line.list().ofMinSize(20).ofMaxSize(250);
  }

  @Provide
  Arbitrary<Long> start() {
    return Arbitraries.of(0L, 30L, 1_700_000_000L);
  }

  @Property(tries = 60)
  void everyPublishedTimestampHoldsTheRecomputedViews(@ForAll("lines") List<Line> lines, @ForAll("start") long start,
                                                      @ForAll Random random) throws IOException {
    Path dir = Files.createTempDirectory("engine-shaped-prop");
    try {
      new Run(dir, random).run(lines, start);
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static final class Run {
    final Path file;
    final Path checkpoint;
    final Random random;
    final List<ViewParams> all = ShapedModel.allParams();
    final Map<String, ViewTable> tables = new HashMap<>();
    final Map<String, ViewParams> paramsOf = new HashMap<>();
    final Map<String, Long> lastTs = new HashMap<>();
    final List<Integer> ends = new ArrayList<>();
    final List<Ev> eventOf = new ArrayList<>(); // per record; null for an invalid line
    final long[] clock = {1_000};
    Engine engine;
    boolean live;
    int published;
    int restarts;
    int windowedDeletes;

    Run(Path dir, Random random) {
      this.file = dir.resolve("recentchanges");
      this.checkpoint = dir.resolve("engine.checkpoint");
      this.random = random;
    }

    void run(List<Line> lines, long start) throws IOException {
      List<byte[]> data = new ArrayList<>();
      List<Ev> events = new ArrayList<>();
      for (Line l : lines) {
        if (l.draft() == null) {
          data.add(l.invalid().getBytes(StandardCharsets.UTF_8));
          eventOf.add(null);
        } else {
          Ev e = ShapedModel.resolve(events, l.draft(), start);
          events.add(e);
          eventOf.add(e);
          data.add(render(e));
        }
      }
      byte[] bytes = RecordFiles.records(data, 0);
      fillEnds(data);
      assertThat(ends.get(ends.size() - 1)).isEqualTo(bytes.length);
      engine = newEngine();
      int written = 0;
      while (written < bytes.length) {
        int n = Math.min(bytes.length - written, 1 + random.nextInt(random.nextBoolean() ? 200 : 3000));
        try (var out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
          out.write(bytes, written, n);
        }
        written += n;
        drain();
        if (!live && random.nextInt(3) == 0) {
          goLive();
        }
        if (live) {
          for (int k = random.nextInt(4); k > 0; k--) {
            ViewParams p = all.get(random.nextInt(all.size()));
            if (random.nextInt(4) == 0) {
              close(p);
            } else {
              open(p);
            }
          }
        }
        if (random.nextInt(8) == 0) {
          restart();
        }
      }
      if (!live) {
        goLive();
      }
      all.forEach(this::open);
      drain();
      Statistics.label("published batches").collect(published < 20 ? "<20" : published < 100 ? "20-99" : ">=100");
      Statistics.label("restarts").collect(restarts == 0 ? "0" : "1+");
      Statistics.label("windowed rows deleted").collect(windowedDeletes == 0 ? "0" : windowedDeletes < 20 ? "<20" : ">=20");
      // The cases that matter must come up: a generator that stopped making them would pass unseen.
      Statistics.label("restarts").coverage(c -> c.check("1+").percentage(p -> p > 0));
      Statistics.label("windowed rows deleted").coverage(c -> c.check("0").percentage(p -> p < 100));
      Statistics.label("published batches").coverage(c -> c.check("<20").percentage(p -> p < 100));
      engine.close();
    }

    private void fillEnds(List<byte[]> data) {
      int at = 0;
      for (int id = 0; id < data.size(); id++) {
        at += RecordFiles.records(List.of(data.get(id)), id).length;
        ends.add(at);
      }
    }

    private Engine newEngine() {
      // Small steps: many batches per append, windows moving within and between them.
      return new Engine(file, checkpoint, 1024 + random.nextInt(3000), () -> clock[0] += random.nextInt(5) - 2);
    }

    /** The events of the complete records the engine has read. */
    private List<Ev> applied() {
      List<Ev> out = new ArrayList<>();
      for (int i = 0; i < ends.size() && ends.get(i) <= engine.offset(); i++) {
        if (eventOf.get(i) != null) {
          out.add(eventOf.get(i));
        }
      }
      return out;
    }

    private void drain() throws IOException {
      for (int guard = 0; guard < 100_000; guard++) {
        Engine.Step step = engine.step(live);
        assertThat(step.reset()).isNull();
        long ts = -1;
        for (JsonObject m : step.messages()) {
          ts = ts == -1 ? ViewMessage.timestamp(m) : ts;
          assertThat(ViewMessage.timestamp(m)).as("one timestamp per batch").isEqualTo(ts);
          String key = ViewMessage.key(m);
          assertThat(tables).as("a batch of a live set: %s", m).containsKey(key);
          assertThat(ts).as("timestamps increase on %s", key).isGreaterThan(lastTs.get(key));
          lastTs.put(key, ts);
          ViewStatePropertyTest.assertConsolidated(m);
          if (paramsOf.get(key).window() != ViewParams.Window.ALL) {
            windowedDeletes += m.getJsonArray(ViewMessage.DELETED).size();
          }
          assertThat(tables.get(key).apply(m)).as("batch fits: %s", m).isTrue();
          published++;
        }
        if (live) {
          check();
        }
        if (!step.more()) {
          return;
        }
      }
      throw new AssertionError("the engine never caught up");
    }

    private void check() {
      List<Ev> events = applied();
      Long wm = ShapedModel.watermark(events);
      assertThat(engine.core().watermark()).isEqualTo(wm == null ? EventParser.NO_TS : wm);
      assertThat(engine.core().events()).isEqualTo(events.size()).isEqualTo(engine.state().total());
      for (Map.Entry<String, ViewTable> t : tables.entrySet()) {
        ViewParams p = paramsOf.get(t.getKey());
        assertThat(ShapedModel.plain(t.getValue().rows())).as("%s at offset %d, watermark %s", p, engine.offset(), wm)
          .containsExactlyInAnyOrderElementsOf(ShapedModel.expected(p, events));
      }
    }

    private void goLive() {
      for (JsonObject snap : engine.goLive()) {
        String key = ViewMessage.key(snap);
        assertThat(ViewMessage.isSnapshot(snap)).isTrue();
        assertThat(ViewParams.parse(key).isDefault()).as("goLive publishes the default sets: %s", key).isTrue();
        track(ViewParams.parse(key), snap, true);
      }
      assertThat(tables).hasSize(ViewParams.View.values().length);
      live = true;
      check();
    }

    private void open(ViewParams p) {
      JsonObject snap = engine.open(p);
      String key = p.toString();
      assertThat(ViewMessage.key(snap)).isEqualTo(key);
      assertThat(engine.isOpen(p)).isTrue();
      ViewTable held = tables.get(key);
      if (held != null) {
        // live already: the rows its subscribers hold, at the last timestamp
        assertThat(ShapedModel.plain(snap.getJsonArray(ViewMessage.INSERTED)))
          .containsExactlyInAnyOrderElementsOf(ShapedModel.plain(held.rows()));
        return;
      }
      // An open describes the state as it is: reopened with no step since it was closed, it repeats that
      // state's timestamp (same rows), which a subscriber may take or ignore alike.
      track(p, snap, false);
      assertThat(ShapedModel.plain(snap.getJsonArray(ViewMessage.INSERTED))).as("%s opened at offset %d", p, engine.offset())
        .containsExactlyInAnyOrderElementsOf(ShapedModel.expected(p, applied()));
    }

    private void track(ViewParams p, JsonObject snap, boolean newState) {
      String key = p.toString();
      long before = lastTs.getOrDefault(key, Long.MIN_VALUE);
      if (newState) {
        assertThat(ViewMessage.timestamp(snap)).isGreaterThan(before);
      } else {
        assertThat(ViewMessage.timestamp(snap)).isGreaterThanOrEqualTo(before);
      }
      lastTs.put(key, ViewMessage.timestamp(snap));
      ViewTable t = new ViewTable(p.view().viewName());
      t.apply(snap);
      tables.put(key, t);
      paramsOf.put(key, p);
    }

    private void close(ViewParams p) {
      boolean closed = engine.close(p);
      assertThat(closed).as("%s", p).isEqualTo(!p.isDefault() && tables.containsKey(p.toString()));
      if (closed) {
        tables.remove(p.toString());
        assertThat(engine.isOpen(p)).isFalse();
      }
    }

    // A restart: checkpoint, a new engine restores it, catches up and goes live with only the default sets.
    private void restart() throws IOException {
      engine.writeCheckpoint();
      engine.close();
      engine = newEngine();
      Engine.Restore r = engine.restore();
      assertThat(r.used()).as(r.message()).isTrue();
      restarts++;
      live = false;
      tables.clear();
      paramsOf.clear();
      drain();
      assertThat(ShapedCorePropertyTest.bytes(engine.core())).as("restored and caught up = read from the start")
        .isEqualTo(ShapedCorePropertyTest.bytes(fullRead()));
    }

    private ShapedCore fullRead() throws IOException {
      try (Engine fresh = new Engine(file, null, 1 << 16, System::currentTimeMillis)) {
        RecordFiles.readAll(fresh);
        assertThat(fresh.offset()).isEqualTo(engine.offset());
        return fresh.core();
      }
    }
  }

  /** The event as a line: the keys the views read, and one they do not. */
  static byte[] render(Ev e) {
    JsonObject o = new JsonObject().put("type", "edit").put("user", e.user());
    if (e.wiki() != null) {
      o.put("wiki", e.wiki());
    }
    o.put("bot", e.bot());
    if (e.ts() != null) {
      o.put("timestamp", e.ts());
    }
    return o.encode().getBytes(StandardCharsets.UTF_8);
  }
}
