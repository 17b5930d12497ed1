package wikirecent.engine;

import wikirecent.bus.ViewParams;
import wikirecent.bus.ViewParams.View;
import wikirecent.bus.ViewParams.Window;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Not a test: the shaped core's memory and costs at the live rate. Builds 24 h of event time at 40
 * events/s (3,456,000 events) over 1,000 wikis and 100,000 users, then prints the heap the core holds,
 * the cost per event with no and with 100 live instances, the cost of opening instances over the full
 * day, and the size and time of its serialized form. Times are the thread's CPU time. Run it with the test classpath and a fixed heap:
 * from the repository root, after {@code mvn -q package -DskipTests}, {@code java -Xmx2g -Xms2g -cp
 * bench/target/wikirecent-bench.jar:target/test-classes:test-support/target/classes:bench/target/test-classes wikirecent.engine.ShapedBench}.
 * <p>
 * The users: 100 bots make half the events, the other half is spread evenly over all users; each user
 * has a home wiki (wikis by a Zipf law) and makes a tenth of its edits elsewhere. Names are fresh String
 * objects per event, as the parser makes them.
 */
public final class ShapedBench {

  // The thread's CPU time, not the wall clock: on a shared machine, waiting for a core does not count.
  private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();
  static final int RATE = 40;
  static final int DAY = 86_400;
  static final int USERS = 100_000;
  static final int WIKIS = 1_000;
  static final int BOTS = 100;
  static final long T0 = 1_700_000_000L;

  private final Random random = new Random(1);
  private final String[] users = new String[USERS];
  private final String[] wikis = new String[WIKIS];
  private final int[] home = new int[USERS];
  private final double[] wikiCdf = new double[WIKIS];

  ShapedBench() {
    double sum = 0;
    for (int w = 0; w < WIKIS; w++) {
      wikis[w] = "wiki" + w;
      sum += 1.0 / (w + 1);
      wikiCdf[w] = sum;
    }
    for (int w = 0; w < WIKIS; w++) {
      wikiCdf[w] /= sum;
    }
    for (int u = 0; u < USERS; u++) {
      users[u] = (u < BOTS ? "Bot" : "User") + u;
      home[u] = zipfWiki();
    }
  }

  private int zipfWiki() {
    int i = java.util.Arrays.binarySearch(wikiCdf, random.nextDouble());
    return Math.min(WIKIS - 1, i < 0 ? -i - 1 : i);
  }

  /** One event at second {@code ts}, with fresh strings. */
  void event(ShapedCore core, long ts) {
    int u = random.nextBoolean() ? random.nextInt(BOTS) : random.nextInt(USERS);
    int w = random.nextInt(10) == 0 ? zipfWiki() : home[u];
    core.apply(new String(users[u].toCharArray()), new String(wikis[w].toCharArray()), u < BOTS, ts);
  }

  static long usedHeap() {
    for (int i = 0; i < 4; i++) {
      System.gc();
    }
    Runtime r = Runtime.getRuntime();
    return r.totalMemory() - r.freeMemory();
  }

  /** 100 instances: 20 wikis x 4 shapes, and 20 over every wiki. */
  static List<ViewParams> hundred() {
    List<ViewParams> out = new ArrayList<>();
    for (int w = 0; w < 20; w++) {
      String wiki = "wiki" + (w * 7);
      out.add(ViewParams.of(View.COUNTER).withWiki(wiki).withWindow(Window.FIVE_MINUTES));
      out.add(ViewParams.of(View.TOP10).withWiki(wiki).withWindow(Window.HOUR));
      out.add(ViewParams.of(View.TOP10).withWiki(wiki).withBot(false).withWindow(Window.DAY));
      out.add(ViewParams.of(View.EDITS_PER_MINUTE).withWiki(wiki));
    }
    for (Window window : Window.values()) {
      out.add(ViewParams.of(View.COUNTER).withWindow(window));
      out.add(ViewParams.of(View.COUNTER).withBot(true).withWindow(window));
      out.add(ViewParams.of(View.TOP10).withWindow(window));
      out.add(ViewParams.of(View.TOP10).withBot(false).withWindow(window));
      out.add(ViewParams.of(View.TOP_WIKIS).withWindow(window));
    }
    return out;
  }

  /** Applies {@code seconds} of events after {@code from}, closing a batch each second; ns per event applying, ns per batch closing. */
  double[] run(ShapedCore core, long from, int seconds, long[] messages) {
    long applying = 0;
    long closing = 0;
    for (int s = 1; s <= seconds; s++) {
      long t0 = CPU.getCurrentThreadCpuTime();
      for (int i = 0; i < RATE; i++) {
        event(core, from + s);
      }
      long t1 = CPU.getCurrentThreadCpuTime();
      messages[0] += core.closeBatch(from + s).size();
      closing += CPU.getCurrentThreadCpuTime() - t1;
      applying += t1 - t0;
    }
    return new double[]{applying / (double) (seconds * RATE), closing / (double) seconds};
  }

  public static void main(String[] args) throws Exception {
    ShapedBench bench = new ShapedBench();
    long before = usedHeap();
    ShapedCore core = new ShapedCore();
    long t0 = CPU.getCurrentThreadCpuTime();
    for (int s = 0; s < DAY; s++) {
      for (int i = 0; i < RATE; i++) {
        bench.event(core, T0 + s);
      }
    }
    double fillNs = (CPU.getCurrentThreadCpuTime() - t0) / (double) (DAY * RATE);
    long after = usedHeap();
    double mb = (after - before) / 1e6;
    System.out.printf("24 h at %d/s: %,d events kept, %,d users, %,d wikis, %,d (wiki, bot, user) groups%n",
      RATE, core.windowEvents(), core.users(), core.wikis(), core.groups());
    System.out.printf("heap of the core: %.1f MB (%.1f bytes per kept event, all included); filling it: %.0f ns/event%n",
      mb, (after - before) / (double) core.windowEvents(), fillNs);

    long[] messages = new long[1];
    long at = T0 + DAY;
    bench.run(core, at, 600, messages); // warm up at steady state (the day's edge keeps expiring)
    at += 600;
    for (int round = 0; round < 3; round++) {
      double[] none = bench.run(core, at, 1800, messages);
      at += 1800;
      System.out.printf("steady state, no live instance: apply %.0f ns/event, close a batch (each second) %.1f us%n",
        none[0], none[1] / 1e3);
    }
    // What the engine always has live: the default sets of the views ViewState does not hold.
    List<ViewParams> defaults = List.of(ViewParams.of(View.TOP_WIKIS), ViewParams.of(View.EDITS_PER_MINUTE), ViewParams.of(View.WIKI_EDITS));
    for (ViewParams p : defaults) {
      long s = CPU.getCurrentThreadCpuTime();
      core.open(p, at);
      System.out.printf("open %-40s %7.2f ms%n", p, (CPU.getCurrentThreadCpuTime() - s) / 1e6);
    }
    bench.run(core, at, 600, messages);
    at += 600;
    for (int round = 0; round < 3; round++) {
      messages[0] = 0;
      double[] some = bench.run(core, at, 1800, messages);
      at += 1800;
      System.out.printf("steady state, the %d default sets live: apply %.0f ns/event, close a batch %.1f us (%.1f messages)%n",
        defaults.size(), some[0], some[1] / 1e3, messages[0] / 1800.0);
    }
    long withDefaults = usedHeap();
    System.out.printf("heap with the %d default sets: +%.1f MB%n", defaults.size(), (withDefaults - after) / 1e6);
    defaults.forEach(core::close);

    List<ViewParams> hundred = hundred();
    for (ViewParams p : hundred) {
      core.open(p, at);
    }
    bench.run(core, at, 600, messages);
    at += 600;
    for (int round = 0; round < 6; round++) {
      messages[0] = 0;
      double[] live = bench.run(core, at, 1800, messages);
      at += 1800;
      System.out.printf("steady state, %d live instances: apply %.0f ns/event, close a batch %.1f us (%.1f messages)%n",
        hundred.size(), live[0], live[1] / 1e3, messages[0] / 1800.0);
    }
    long withInstances = usedHeap();
    System.out.printf("heap with the %d instances: +%.1f MB%n", hundred.size(), (withInstances - after) / 1e6);
    for (ViewParams p : hundred) {
      core.close(p);
    }

    List<ViewParams> opens = List.of(
      ViewParams.of(View.COUNTER).withWindow(Window.DAY),
      ViewParams.of(View.TOP10).withWindow(Window.DAY),
      ViewParams.of(View.TOP10).withWindow(Window.FIVE_MINUTES),
      ViewParams.of(View.TOP10).withWiki("wiki0").withWindow(Window.DAY),
      ViewParams.of(View.TOP_WIKIS).withBot(false).withWindow(Window.HOUR),
      ViewParams.of(View.EDITS_PER_MINUTE),
      ViewParams.of(View.TOP10),
      ViewParams.of(View.TOP10).withWiki("wiki500"));
    for (ViewParams p : opens) {
      long best = Long.MAX_VALUE;
      int rows = 0;
      for (int i = 0; i < 5; i++) {
        long s = CPU.getCurrentThreadCpuTime();
        rows = core.open(p, at).getJsonArray("inserted").size();
        best = Math.min(best, CPU.getCurrentThreadCpuTime() - s);
        core.close(p);
      }
      System.out.printf("open %-40s %7.2f ms (best of 5, %d rows)%n", p, best / 1e6, rows);
    }

    for (int i = 0; i < 3; i++) {
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      long w0 = CPU.getCurrentThreadCpuTime();
      DataOutputStream out = new DataOutputStream(buf);
      core.write(out);
      out.flush();
      long w1 = CPU.getCurrentThreadCpuTime();
      byte[] b = buf.toByteArray();
      ShapedCore read = ShapedCore.read(new DataInputStream(new ByteArrayInputStream(b)));
      long r1 = CPU.getCurrentThreadCpuTime();
      System.out.printf("serialized: %.1f MB, write %.0f ms, read %.0f ms (%,d events)%n",
        b.length / 1e6, (w1 - w0) / 1e6, (r1 - w1) / 1e6, read.windowEvents());
    }
  }
}
