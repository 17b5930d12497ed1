package wikirecent.engine;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewTable;
import wikirecent.bus.Views;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine following a real file that grows by random appends (cut anywhere, mid-line too),
 * with random step sizes, a clock that jumps back, and restarts from checkpoints: after every
 * append the views equal a recomputation over the complete records written so far, the offset
 * is the end of the last complete record, the published messages rebuild the views, and
 * timestamps strictly increase per view, across restarts too.
 */
class EngineFilePropertyTest {

  /** One record: its data lines and its form. */
  record Rec(List<String> data, int form) {
    static final int PLAIN = 0;
    static final int CRLF = 1;
    static final int COMMENT = 2;
    static final int LONG_ID = 3;
  }

  @Provide
  Arbitrary<List<Rec>> records() {
    Arbitrary<Rec> rec = Combinators.combine(
        EventLines.line().list().ofMinSize(0).ofMaxSize(2),
        Arbitraries.frequency(
          net.jqwik.api.Tuple.of(12, Rec.PLAIN), net.jqwik.api.Tuple.of(2, Rec.CRLF),
          net.jqwik.api.Tuple.of(1, Rec.COMMENT), net.jqwik.api.Tuple.of(1, Rec.LONG_ID)))
      .as((data, form) -> new Rec(form == Rec.COMMENT ? List.of() : data.isEmpty() ? List.of("{\"user\":\"Alice\"}") : data, form));
    return rec.list().ofMinSize(30).ofMaxSize(200);
  }

  @Property(tries = 60)
  void followsAGrowingFileThroughRestarts(@ForAll("records") List<Rec> records, @ForAll Random random) throws IOException {
    Path dir = Files.createTempDirectory("engine-prop");
    try {
      run(records, random, dir);
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private void run(List<Rec> records, Random random, Path dir) throws IOException {
    ByteArrayOutputStream content = new ByteArrayOutputStream();
    List<Integer> ends = new ArrayList<>();
    List<List<byte[]>> dataOf = new ArrayList<>();
    for (Rec r : records) {
      List<byte[]> data = new ArrayList<>();
      content.writeBytes(render(r, data, random));
      ends.add(content.size());
      dataOf.add(data);
    }
    byte[] all = content.toByteArray();
    Statistics.label("records").collect(records.size() < 100 ? "30-99" : "100-200");
    Path file = dir.resolve("recentchanges");
    Path checkpoint = dir.resolve("engine.checkpoint");
    int batchMax = 1024 + random.nextInt(4096);
    long[] now = {1_000_000};
    java.util.function.LongSupplier clock = () -> now[0] += random.nextInt(7) - 3; // sometimes backwards

    Engine engine = new Engine(file, checkpoint, batchMax, clock);
    assertThat(engine.restore().used()).isFalse();
    boolean live = false;
    Map<Views, ViewTable> tables = new EnumMap<>(Views.class);
    Map<Views, Long> lastTs = new EnumMap<>(Views.class);
    int written = 0;
    while (written < all.length) {
      int n = Math.min(all.length - written, 1 + random.nextInt(random.nextBoolean() ? 300 : 6000));
      try (var out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
        out.write(all, written, n);
      }
      written += n;
      drain(engine, live, tables, lastTs);
      if (!live && random.nextInt(3) == 0) {
        for (JsonObject snap : engine.goLive()) {
          Views v = Views.byName(ViewMessage.view(snap)).orElse(null);
          if (v == null) {
            continue; // the shaped views: EngineShapedPropertyTest
          }
          checkTimestamp(lastTs, v, snap);
          tables.put(v, new ViewTable(v.viewName()));
          tables.get(v).apply(snap);
        }
        live = true;
      }

      int complete = 0;
      List<byte[]> lines = new ArrayList<>();
      for (int i = 0; i < ends.size() && ends.get(i) <= written; i++) {
        complete = ends.get(i);
        lines.addAll(dataOf.get(i));
      }
      assertThat(engine.offset()).isEqualTo(complete);
      Oracle.Expected expected = Oracle.compute(lines);
      ViewStatePropertyTest.assertEquals(engine.state(), expected);
      assertThat(engine.state().skipped()).isEqualTo(lines.stream().filter(l -> !Oracle.parse(l).valid()).count());
      if (live) {
        assertThat(tables.get(Views.COUNTER).rows()).isEqualTo(new JsonArray().add(new JsonArray().add(expected.count())));
        assertThat(Oracle.userEditsOf(tables.get(Views.USER_EDITS).rows())).isEqualTo(expected.userEdits());
        assertThat(Oracle.top10Of(tables.get(Views.TOP10).rows())).isEqualTo(expected.top10());
      }

      if (random.nextInt(6) == 0) {
        engine.writeCheckpoint();
        engine.close();
        engine = new Engine(file, checkpoint, 1024 + random.nextInt(4096), clock);
        Engine.Restore restored = engine.restore();
        assertThat(restored.used()).as(restored.message()).isTrue();
        assertThat(engine.offset()).isEqualTo(complete);
        ViewStatePropertyTest.assertEquals(engine.state(), expected);
        live = false; // a restarted engine catches up, then publishes reset snapshots
      }
    }
    engine.close();
  }

  private static void drain(Engine engine, boolean live, Map<Views, ViewTable> tables, Map<Views, Long> lastTs) throws IOException {
    for (int guard = 0; guard < 100_000; guard++) {
      Engine.Step step = engine.step(live);
      assertThat(step.reset()).isNull();
      if (!live) {
        assertThat(step.messages()).isEmpty();
      }
      long ts = -1;
      for (JsonObject m : step.messages()) {
        if (ts == -1) {
          ts = ViewMessage.timestamp(m);
        }
        assertThat(ViewMessage.timestamp(m)).as("one timestamp per batch").isEqualTo(ts);
        Views v = Views.byName(ViewMessage.view(m)).orElse(null);
        if (v == null) {
          continue; // the shaped views: EngineShapedPropertyTest
        }
        checkTimestamp(lastTs, v, m);
        ViewStatePropertyTest.assertConsolidated(m);
        assertThat(tables.get(v).apply(m)).isTrue();
      }
      if (!step.more()) {
        return;
      }
    }
    throw new AssertionError("the engine never caught up");
  }

  private static void checkTimestamp(Map<Views, Long> lastTs, Views v, JsonObject m) {
    long ts = ViewMessage.timestamp(m);
    assertThat(ts).as("timestamps strictly increase on %s", v).isGreaterThan(lastTs.getOrDefault(v, Long.MIN_VALUE));
    lastTs.put(v, ts);
  }

  /** The record's bytes; adds the exact text after {@code "data: "} of each data line to {@code data}. */
  private static byte[] render(Rec r, List<byte[]> data, Random random) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    String eol = r.form() == Rec.CRLF ? "\r\n" : "\n";
    if (r.form() == Rec.COMMENT) {
      out.writeBytes((":ok" + eol + eol).getBytes(StandardCharsets.UTF_8));
      return out.toByteArray();
    }
    out.writeBytes(("event: message" + eol).getBytes(StandardCharsets.UTF_8));
    String id = r.form() == Rec.LONG_ID ? "x".repeat(3000 + random.nextInt(6000)) : "[{\"offset\":" + random.nextInt(1000) + "}]";
    out.writeBytes(("id: " + id + eol).getBytes(StandardCharsets.UTF_8));
    for (String line : r.data()) {
      byte[] text = EventLines.bytes(line);
      if (r.form() == Rec.CRLF) {
        text = EventLines.concat(text, new byte[]{'\r'});
      }
      data.add(text);
      out.writeBytes("data: ".getBytes(StandardCharsets.UTF_8));
      out.writeBytes(text);
      out.write('\n');
    }
    out.writeBytes(eol.getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }
}
