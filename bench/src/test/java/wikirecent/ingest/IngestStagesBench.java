package wikirecent.ingest;

import com.fasterxml.jackson.core.JsonParser;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import wikirecent.bench.LargeFileGenerator;
import wikirecent.jsonb.JsonbReader;
import wikirecent.records.RecordBatch;
import wikirecent.records.RecordFormat;
import wikirecent.records.RecordScanner;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Thread CPU time per event of each ingest stage alone, over the throughput scenario's synthetic events: the SSE
 * parse (64 KiB chunks, as the HTTP client hands them over), the JSON check ({@link EventJson#inspect}), the
 * record, all three as before through the public API (what the benchmark can run on older code too), ingest's own
 * path (events in place from the parser through {@link EventFilter} to a queue of records), and next to them a bare Jackson parse of the same data (the ceiling's work per event). Prints numbers,
 * asserts nothing.
 * <pre>
 * java -cp bench/target/wikirecent-bench.jar:bench/target/test-classes:target/test-classes wikirecent.ingest.IngestStagesBench [events]
 * </pre>
 */
public final class IngestStagesBench {

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 5_000; // a few MB: stays in cache, as a live stream does
    Path tmp = Files.createTempFile("stages", ".recentchanges");
    List<byte[]> data = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    try {
      new LargeFileGenerator(200_000, 1).write(tmp, events, LargeFileGenerator.sampleLines(null));
      byte[] file = Files.readAllBytes(tmp);
      new RecordScanner().scan(file, 0, file.length, (b, off, len) -> data.add(Arrays.copyOfRange(b, off, off + len)));
    } finally {
      Files.deleteIfExists(tmp);
    }
    ByteArrayOutputStream sse = new ByteArrayOutputStream();
    for (int i = 0; i < data.size(); i++) {
      String id = "[{\"topic\":\"replay\",\"partition\":0,\"offset\":" + i + "}]";
      ids.add(id);
      sse.writeBytes(RecordFormat.record(id, data.get(i)));
    }
    byte[] stream = sse.toByteArray();
    int n = data.size();
    System.out.printf("%,d events, %,.0f bytes/event; thread CPU ns per event, median of 7 rounds of 0.5 s after 2 s of warm-up:%n", n, stream.length / (double) n);

    long[] sink = new long[1];
    measure("sse parse", n, () -> {
      SseParser p = new SseParser(e -> sink[0] += e.data().length, "", 1 << 22);
      for (int off = 0; off < stream.length; off += 65536) {
        p.feed(stream, off, Math.min(65536, stream.length - off));
      }
    });
    measure("inspect", n, () -> {
      for (byte[] d : data) {
        EventJson.Inspection i = EventJson.inspect(d);
        sink[0] += i.metaId().length();
      }
    });
    measure("record", n, () -> {
      for (int i = 0; i < n; i++) {
        sink[0] += RecordFormat.record(ids.get(i), data.get(i)).length;
      }
    });
    measure("sse+inspect+record", n, () -> {
      SseParser p = new SseParser(e -> {
        EventJson.Inspection i = EventJson.inspect(e.data());
        sink[0] += RecordFormat.record(e.lastEventId(), i.line()).length;
      }, "", 1 << 22);
      for (int off = 0; off < stream.length; off += 65536) {
        p.feed(stream, off, Math.min(65536, stream.length - off));
      }
    });
    // ingest's own path: events in place from the parser through the filter (JSON check, dedupe) into a batch of records
    EventPipeline.Settings settings = new EventPipeline.Settings(Path.of("unused"), 100_000, 1 << 22, 4096, 1000, 1 << 30);
    RecordBatch queue = new RecordBatch();
    measure("ingest path", n, () -> {
      EventFilter filter = new EventFilter(settings, new IngestMeters(new SimpleMeterRegistry()));
      EventFilter.Sink sink2 = (id, dt, d, off, len) -> {
        queue.add(id, d, off, len);
        if (queue.count() == 64) {
          sink[0] += queue.size();
          queue.clear();
        }
      };
      SseParser p = new SseParser(new SseParser.Listener() {
        @Override
        public void onEvent(SseEvent event) {
          throw new IllegalStateException("in place only");
        }

        @Override
        public void onEvent(String type, String lastEventId, byte[] data, int from, int to) {
          filter.take(type, lastEventId, data, from, to, sink2);
        }
      }, "", 1 << 22);
      for (int off = 0; off < stream.length; off += 65536) {
        p.feed(stream, off, Math.min(65536, stream.length - off));
      }
    });
    measure("bare Jackson parse", n, () -> {
      for (byte[] d : data) {
        try (JsonParser p = JsonbReader.factory().createParser(d)) {
          while (p.nextToken() != null) {
            sink[0]++;
          }
        } catch (java.io.IOException e) {
          throw new IllegalStateException(e);
        }
      }
    });
    System.out.println("(" + sink[0] % 10 + ")");
  }

  /** Repeats {@code pass} for at least 2 s (warm-up), then times 7 rounds of at least 0.5 s each. */
  private static void measure(String what, int events, Runnable pass) {
    for (long end = System.nanoTime() + 2_000_000_000L; System.nanoTime() < end; ) {
      pass.run();
    }
    double[] perEvent = new double[7];
    for (int r = 0; r < perEvent.length; r++) {
      long c0 = THREADS.getCurrentThreadCpuTime();
      long end = System.nanoTime() + 500_000_000L;
      long n = 0;
      do {
        pass.run();
        n += events;
      } while (System.nanoTime() < end);
      perEvent[r] = (THREADS.getCurrentThreadCpuTime() - c0) / (double) n;
    }
    Arrays.sort(perEvent);
    System.out.printf("  %-20s %8.0f ns  (min %.0f, max %.0f)%n", what, perEvent[3], perEvent[0], perEvent[6]);
  }
}
