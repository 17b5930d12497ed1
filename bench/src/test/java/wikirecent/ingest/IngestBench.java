package wikirecent.ingest;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import wikirecent.config.Config;
import wikirecent.records.RecordFormat;
import wikirecent.replay.ReplayOptions;
import wikirecent.replay.ReplayServer;
import wikirecent.replay.Sample;
import wikirecent.testsupport.Wait;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A rough micro-benchmark of the ingest path: prints numbers, asserts nothing ({@code bench} has the real ones).
 * From the repository root, after {@code mvn -q package -DskipTests}:
 * <pre>
 * java -cp bench/target/wikirecent-bench.jar:target/test-classes:test-support/target/classes:bench/target/test-classes wikirecent.ingest.IngestBench [seconds] [recording.jsonl]
 * </pre>
 * First the parser alone, with the JSON check, with the record built; then replay to ingest to file in one JVM
 * (the replay loops the sample unless a recording is given).
 */
public final class IngestBench {

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    byte[] sse = sampleAsSse();
    int events = 5911;
    for (int round = 0; round < 3; round++) {
      bench("parse", sse, events, false, false);
      bench("parse+inspect", sse, events, true, false);
      bench("parse+inspect+record", sse, events, true, true);
    }
    endToEnd(seconds, args.length > 1 ? Path.of(args[1]) : null);
  }

  private static byte[] sampleAsSse() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int i = 0;
    for (String line : Sample.lines()) {
      out.writeBytes(RecordFormat.record("[{\"topic\":\"replay\",\"partition\":0,\"offset\":" + i++ + "}]", line));
    }
    return out.toByteArray();
  }

  private static void bench(String what, byte[] sse, int eventsPerPass, boolean inspect, boolean record) {
    long[] sink = new long[1];
    SseParser.Listener listener = e -> {
      if (inspect) {
        EventJson.Inspection i = EventJson.inspect(e.data());
        if (record) {
          sink[0] += RecordFormat.record(e.lastEventId(), i.line()).length;
        } else {
          sink[0] += i.metaId().length();
        }
      } else {
        sink[0] += e.data().length;
      }
    };
    long start = System.nanoTime();
    int passes = 0;
    while (System.nanoTime() - start < 2_000_000_000L) {
      SseParser p = new SseParser(listener, "", 1 << 22);
      for (int off = 0; off < sse.length; off += 65536) {
        p.feed(sse, off, Math.min(65536, sse.length - off));
      }
      passes++;
    }
    double secs = (System.nanoTime() - start) / 1e9;
    System.out.printf("%-22s %,10.0f events/s %,8.1f MB/s (%d)%n", what, passes * (double) eventsPerPass / secs,
      passes * (double) sse.length / secs / 1e6, sink[0] % 10);
  }

  /** With {@code recording}: serve that file once (no per-round JSON rewriting in the replay); else loop the sample. */
  private static void endToEnd(int seconds, Path recording) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      ReplayServer replay = Wait.on(ReplayServer.start(vertx, new ReplayOptions().port(0).loop(recording == null).file(recording)));
      Path dir = Files.createTempDirectory("ingest-bench");
      JsonObject conf = Config.load(new JsonObject().put(Config.STREAM_URL, replay.url()).put(Config.DATA_DIR, dir.toString()), System.getenv());
      Wait.on(vertx.deployVerticle(new IngestVerticle(), new DeploymentOptions().setConfig(conf)));
      Thread.sleep(2000); // warm up
      long before = IngestTesting.counter(vertx, "wikirecent_ingest_events_written_total");
      long bytesBefore = IngestTesting.counter(vertx, "wikirecent_ingest_written_bytes_total");
      long start = System.nanoTime();
      Thread.sleep(seconds * 1000L);
      long n = IngestTesting.counter(vertx, "wikirecent_ingest_events_written_total") - before;
      long bytes = IngestTesting.counter(vertx, "wikirecent_ingest_written_bytes_total") - bytesBefore;
      double secs = (System.nanoTime() - start) / 1e9;
      System.out.printf("replay --loop -> ingest -> file, one JVM: %,.0f events/s, %,.1f MB/s over %.0f s%n", n / secs, bytes / secs / 1e6, secs);
      Files.deleteIfExists(dir.resolve(Config.FILE_NAME));
    } finally {
      Wait.on(vertx.close());
    }
  }
}
