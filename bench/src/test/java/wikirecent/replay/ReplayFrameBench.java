package wikirecent.replay;

import io.vertx.core.buffer.Buffer;
import wikirecent.bench.LargeFileGenerator;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Thread CPU time per event of the replay server's framing, over the throughput scenario's synthetic events: 64 KiB
 * chunks filled as its pump fills them, round 0 (the file as recorded) and round 1 (a looped round, with a fresh
 * meta.id per event). Prints numbers, asserts nothing.
 * <pre>
 * java -cp bench/target/wikirecent-bench.jar:bench/target/test-classes wikirecent.replay.ReplayFrameBench [events]
 * </pre>
 */
public final class ReplayFrameBench {

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
    Path tmp = Files.createTempFile("frames", ".recentchanges");
    ReplayFeed feed;
    try {
      new LargeFileGenerator(200_000, 1).write(tmp, events, LargeFileGenerator.sampleLines(null));
      feed = ReplayFeed.load(tmp);
    } finally {
      Files.deleteIfExists(tmp);
    }
    int n = feed.size();
    long[] sink = new long[1];
    for (int round = 0; round < 3; round++) {
      for (long first : new long[] {0, n}) {
        double[] perEvent = new double[7];
        for (int r = 0; r < perEvent.length; r++) {
          long c0 = THREADS.getCurrentThreadCpuTime();
          Buffer chunk = Buffer.buffer(64 * 1024 + 2048);
          for (long offset = first; offset < first + n; offset++) {
            if (chunk.length() >= 64 * 1024) {
              sink[0] += chunk.length();
              chunk = Buffer.buffer(64 * 1024 + 2048);
            }
            feed.appendFrame(chunk, offset, false);
          }
          perEvent[r] = (THREADS.getCurrentThreadCpuTime() - c0) / (double) n;
        }
        Arrays.sort(perEvent);
        if (round == 2) {
          System.out.printf("replay frames, %s: %.0f ns per event (min %.0f, max %.0f)%n", first == 0 ? "round 0" : "round 1 (looped)",
            perEvent[3], perEvent[0], perEvent[6]);
        }
      }
    }
    System.out.println("(" + sink[0] % 10 + ")");
  }
}
