package wikirecent.ingest;

import com.fasterxml.jackson.core.JsonParser;
import wikirecent.bench.LargeFileGenerator;
import wikirecent.jsonb.JsonbReader;
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
 * record, and next to them a bare Jackson parse of the same data (the ceiling's work per event). Prints numbers,
 * asserts nothing.
 * <pre>
 * java -cp bench/target/wikirecent-bench.jar:bench/target/test-classes:target/test-classes wikirecent.ingest.IngestStagesBench [events]
 * </pre>
 */
public final class IngestStagesBench {

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
    Path tmp = Files.createTempFile("stages", ".recentchanges");
    List<byte[]> data = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    try {
      new LargeFileGenerator(200_000, 1).write(tmp, events, LargeFileGenerator.sampleLines(null));
      byte[] file = Files.readAllBytes(tmp);
      new RecordScanner().scan(file, 0, file.length, (b, off, len, ok) -> data.add(Arrays.copyOfRange(b, off, off + len)));
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
    System.out.printf("%,d events, %,.0f bytes/event; thread CPU ns per event, median of 7 rounds:%n", n, stream.length / (double) n);

    long[] sink = new long[1];
    for (int round = 0; round < 3; round++) { // warm-up, then the measured set
      boolean print = round == 2;
      measure(print, "sse parse", n, () -> {
        SseParser p = new SseParser(e -> sink[0] += e.data().length, "", 1 << 22);
        for (int off = 0; off < stream.length; off += 65536) {
          p.feed(stream, off, Math.min(65536, stream.length - off));
        }
      });
      measure(print, "inspect", n, () -> {
        for (byte[] d : data) {
          EventJson.Inspection i = EventJson.inspect(d);
          sink[0] += i.metaId().length();
        }
      });
      measure(print, "record", n, () -> {
        for (int i = 0; i < n; i++) {
          sink[0] += RecordFormat.record(ids.get(i), data.get(i)).length;
        }
      });
      measure(print, "sse+inspect+record", n, () -> {
        SseParser p = new SseParser(e -> {
          EventJson.Inspection i = EventJson.inspect(e.data());
          sink[0] += RecordFormat.record(e.lastEventId(), i.line()).length;
        }, "", 1 << 22);
        for (int off = 0; off < stream.length; off += 65536) {
          p.feed(stream, off, Math.min(65536, stream.length - off));
        }
      });
      measure(print, "bare Jackson parse", n, () -> {
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
    }
    System.out.println("(" + sink[0] % 10 + ")");
  }

  private static void measure(boolean print, String what, int events, Runnable pass) {
    double[] perEvent = new double[7];
    for (int r = 0; r < perEvent.length; r++) {
      long c0 = THREADS.getCurrentThreadCpuTime();
      pass.run();
      perEvent[r] = (THREADS.getCurrentThreadCpuTime() - c0) / (double) events;
    }
    Arrays.sort(perEvent);
    if (print) {
      System.out.printf("  %-20s %8.0f ns  (min %.0f, max %.0f)%n", what, perEvent[3], perEvent[0], perEvent[6]);
    }
  }
}
