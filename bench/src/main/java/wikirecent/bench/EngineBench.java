package wikirecent.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import wikirecent.records.RecordFormat;
import wikirecent.engine.Engine;
import wikirecent.engine.EventParser;
import wikirecent.jsonb.LineScan;
import wikirecent.engine.ViewState;
import wikirecent.bus.ViewParams;

import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code bench engine}: replays a large file through the engine and prints events/s next to a
 * bare loop that only reads the file and parses each data line with Jackson, in the same run; the
 * ratio is the number that matters. Then measures the heap the views take per million distinct
 * users. Not a test: it asserts nothing and prints numbers.
 */
public final class EngineBench {

  private long events = 1_000_000;
  private int users = 200_000;
  private int runs = 5;
  private int batchBytes = 1 << 20;
  private int heapUsers = 1_000_000;
  private long seed = 1;
  private int latencyAppends = 400;
  private int instances = 0;
  private Path file;
  private Path sample;
  private List<String> only = List.of("throughput", "heap", "latency", "steps", "verticle");
  private int stepAppends = 800;
  private long stepPaceNanos = EngineBatchCost.PERIOD_NANOS;
  private long costHistory = 100_000;
  private int verticleSeconds = 30;
  private int verticleWarm = 10_000;
  private long checkpointMillis = 3_600_000;

  public static void main(String[] args) throws IOException {
    EngineBench b = new EngineBench();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("-h") || a.equals("--help")) {
        usage(null);
        return;
      }
      if (i + 1 >= args.length) {
        usage("missing value for " + a);
        return;
      }
      String v = args[++i];
      switch (a) {
        case "--events" -> b.events = Long.parseLong(v);
        case "--users" -> b.users = Integer.parseInt(v);
        case "--runs" -> b.runs = Integer.parseInt(v);
        case "--batch-bytes" -> b.batchBytes = Integer.parseInt(v);
        case "--heap-users" -> b.heapUsers = Integer.parseInt(v);
        case "--seed" -> b.seed = Long.parseLong(v);
        case "--latency-appends" -> b.latencyAppends = Integer.parseInt(v);
        case "--instances" -> b.instances = Integer.parseInt(v);
        case "--file" -> b.file = Path.of(v);
        case "--sample" -> b.sample = Path.of(v);
        case "--only" -> b.only = List.of(v.split(","));
        case "--step-appends" -> b.stepAppends = Integer.parseInt(v);
        case "--step-pace-millis" -> b.stepPaceNanos = (long) (Double.parseDouble(v) * 1e6);
        case "--cost-history" -> b.costHistory = Long.parseLong(v);
        case "--verticle-seconds" -> b.verticleSeconds = Integer.parseInt(v);
        case "--verticle-warm" -> b.verticleWarm = Integer.parseInt(v);
        case "--checkpoint-millis" -> b.checkpointMillis = Long.parseLong(v);
        default -> {
          usage("unknown option " + a);
          return;
        }
      }
    }
    b.run();
  }

  private static void usage(String problem) {
    if (problem != null) {
      System.err.println(problem);
    }
    System.err.println("""
      usage: java -jar bench/target/wikirecent-bench.jar engine [options]
        --events N       events in the generated file (default 1000000)
        --users N        distinct user names besides the bots (default 200000)
        --runs N         timed runs; medians are printed (default 5)
        --batch-bytes N  bytes per engine step / read chunk (default 1048576, as engine.batchMaxBytes)
        --heap-users N   distinct users for the heap measurement (default 1000000)
        --seed N         generator seed (default 1)
        --latency-appends N  appends (at ~40/s) for the append-to-batch latency; 0 skips it (default 400)
        --instances N    parameterised view instances live during the live runs, besides the default sets (default 0;
                         at most %d: every view over any wiki and the sample's two, bot or not, each window)
        --file PATH      the recentchanges file to use; generated there if missing
                         (default: <tmp>/wikirecent-bench/recentchanges-<events>-<users>-<seed>)
        --sample PATH    the recorded events to build from (default: the bundled sample)
        --only LIST      parts to run, of throughput,heap,latency,steps,verticle (default all):
                         steps = thread CPU and allocation of each live step of one event at 40/s (Engine alone), of a
                                 bare step on the same schedule (read the record, Jackson-parse the event) and of a
                                 checkpoint write;
                         verticle = the EngineVerticle at 40 appends/s with the hint: CPU of its threads per batch
        --step-appends N     paced steps timed by 'steps' (default 800, after 3000 fast warm-up steps): blocks of 50,
                             in turn engine sleeping between steps, bare sleeping, engine spinning, bare spinning;
                             then as many of each back to back
        --step-pace-millis N time between those steps (default 25, the live rate; 0: back to back only, for profiling)
        --cost-history N     events of history under 'steps' and 'verticle' (default 100000)
        --verticle-seconds N measured seconds of 'verticle' (default 30, after 5 s of warm-up)
        --verticle-warm N    appends ~1 ms apart before that, so the JIT compiles the per-batch path as in a long-running
                             app (default 10000; 0: a fresh process's first seconds, mostly interpreted per-batch code)
        --checkpoint-millis N  engine.checkpointMillis in 'verticle' (default 3600000: held off, as the polling scenario does)""".formatted(spread().size()));
    if (problem != null) {
      System.exit(2);
    }
  }

  private void run() throws IOException {
    System.out.println("load average at start: " + Machine.loadAverage());
    if (only.contains("throughput") || only.contains("heap") || only.contains("latency")) {
      runThroughput();
    }
    if (only.contains("steps") || only.contains("verticle")) {
      batchCost();
    }
    System.out.println("load average at end: " + Machine.loadAverage());
  }

  private void batchCost() throws IOException {
    List<String> lines = LargeFileGenerator.sampleLines(sample);
    List<ViewParams> open = spread().subList(0, Math.min(instances, spread().size()));
    if (only.contains("steps")) {
      Path f = EngineBatchCost.history(costHistory, users, seed, lines);
      try {
        EngineBatchCost.steps(f, stepAppends, stepPaceNanos, open, lines);
      } finally {
        EngineBatchCost.deleteDir(f.getParent());
      }
    }
    if (only.contains("verticle")) {
      Path f = EngineBatchCost.history(costHistory, users, seed, lines);
      try {
        EngineBatchCost.verticle(f, verticleSeconds, verticleWarm, open, checkpointMillis, lines);
      } catch (IOException e) {
        throw e;
      } catch (Exception e) {
        throw new IOException("the verticle measurement failed: " + e, e);
      } finally {
        EngineBatchCost.deleteDir(f.getParent());
      }
    }
  }

  private void runThroughput() throws IOException {
    if (file == null) {
      file = Path.of(System.getProperty("java.io.tmpdir"), "wikirecent-bench",
        "recentchanges-" + events + "-" + users + "-" + seed);
    }
    if (!Files.exists(file)) {
      long t0 = System.nanoTime();
      System.out.printf("generating %s: %,d events, %,d user names ...%n", file, events, users);
      new LargeFileGenerator(users, seed).write(file, events, LargeFileGenerator.sampleLines(sample));
      System.out.printf("generated in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }
    System.out.printf("file %s: %,d bytes; batch/read size %,d bytes; %d runs; %d parameterised instances live; %s %s, %d cpus%n",
      file, Files.size(file), batchBytes, runs, Math.min(instances, spread().size()), System.getProperty("java.vm.name"),
      System.getProperty("java.version"), Runtime.getRuntime().availableProcessors());

    if (only.contains("throughput")) {
      throughputRuns();
    }
    if (only.contains("heap")) {
      heapPerMillionUsers();
    }
    if (latencyAppends > 0 && only.contains("latency")) {
      EngineLatency.measure(latencyAppends, LargeFileGenerator.sampleLines(sample));
    }
  }

  private void throughputRuns() throws IOException {
    // Warm-up (untimed): the JIT sees every path before the timed runs.
    bareParse();
    catchUp();
    live();

    List<Double> bare = new ArrayList<>();
    List<Double> catchUp = new ArrayList<>();
    List<Double> live = new ArrayList<>();
    List<Double> catchUpRatio = new ArrayList<>();
    List<Double> liveRatio = new ArrayList<>();
    System.out.printf("%-6s %16s %18s %7s %16s %7s %10s%n", "run", "bare-parse ev/s", "engine-catchup ev/s", "ratio",
      "engine-live ev/s", "ratio", "batches");
    for (int r = 1; r <= runs; r++) {
      Result b = bareParse();
      Result c = catchUp();
      Result l = live();
      bare.add(b.perSecond());
      catchUp.add(c.perSecond());
      live.add(l.perSecond());
      catchUpRatio.add(c.perSecond() / b.perSecond());
      liveRatio.add(l.perSecond() / b.perSecond());
      System.out.printf("%-6d %,16.0f %,18.0f %7.2f %,16.0f %7.2f %,10d%n", r, b.perSecond(), c.perSecond(),
        c.perSecond() / b.perSecond(), l.perSecond(), l.perSecond() / b.perSecond(), l.batches);
      if (b.lines != c.lines || c.lines != l.lines) {
        System.out.printf("  (lines differ: bare %d, catch-up %d, live %d)%n", b.lines, c.lines, l.lines);
      }
    }
    System.out.printf("%-6s %,16.0f %,18.0f %7.2f %,16.0f %7.2f%n", "median", median(bare), median(catchUp),
      median(catchUpRatio), median(live), median(liveRatio));
    System.out.printf("(%,d data lines; catch-up = read without publishing; live = a consolidated batch of all three views"
      + " per %,d-byte step; ratios are engine/bare within a run, their median in the last row)%n", catchUpLines, batchBytes);
  }

  record Result(long lines, long nanos, long batches) {
    double perSecond() {
      return lines * 1e9 / nanos;
    }
  }

  private long catchUpLines;

  private Result bareParse() throws IOException {
    return bareParse(file, batchBytes);
  }

  /**
   * The ceiling: reads the file in chunks and parses every data line to its end with Jackson; nothing else.
   * The throughput scenario runs it next to the pipeline.
   */
  static Result bareParse(Path file, int batchBytes) throws IOException {
    JsonFactory factory = EventParser.factory();
    long t0 = System.nanoTime();
    long lines = 0;
    byte[] buf = new byte[batchBytes + (1 << 16)];
    byte[] prefix = RecordFormat.DATA_PREFIX_BYTES;
    try (FileChannel ch = FileChannel.open(file)) {
      long position = 0;
      int have = 0;
      while (true) {
        if (have == buf.length) {
          buf = java.util.Arrays.copyOf(buf, buf.length * 2); // a line longer than the buffer
        }
        int n = ch.read(ByteBuffer.wrap(buf, have, buf.length - have), position);
        if (n <= 0) {
          break;
        }
        position += n;
        int end = have + n;
        int i = 0;
        while (true) {
          int nl = LineScan.newline(buf, i, end); // as the engine's scanner splits lines, so both split equally fast
          if (nl < 0) {
            break;
          }
          if (RecordFormat.startsWith(buf, i, nl, prefix)) {
            lines++;
            jacksonReads(factory, buf, i + prefix.length, nl - i - prefix.length);
          }
          i = nl + 1;
        }
        have = end - i;
        System.arraycopy(buf, i, buf, 0, have);
      }
    }
    return new Result(lines, System.nanoTime() - t0, 0);
  }

  /** Reads {@code b[off, off+len)} to its end with Jackson, every token, as validating it needs; false if it is not JSON. */
  static boolean jacksonReads(JsonFactory factory, byte[] b, int off, int len) {
    try (JsonParser p = factory.createParser(b, off, len)) {
      while (p.nextToken() != null) {
        // every token
      }
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The engine reading the whole file without publishing (startup catch-up). */
  private Result catchUp() throws IOException {
    long t0 = System.nanoTime();
    try (Engine e = new Engine(file, null, batchBytes, System::currentTimeMillis)) {
      while (e.step(false).more()) {
        // next step
      }
      long lines = e.state().total() + e.state().skipped();
      catchUpLines = lines;
      return new Result(lines, System.nanoTime() - t0, 0);
    }
  }

  /** The engine live: every step closes a consolidated batch of the three views at a new timestamp. */
  private Result live() throws IOException {
    long t0 = System.nanoTime();
    long batches = 0;
    try (Engine e = new Engine(file, null, batchBytes, System::currentTimeMillis)) {
      e.goLive();
      for (ViewParams p : spread().subList(0, Math.min(instances, spread().size()))) {
        e.open(p);
      }
      while (true) {
        Engine.Step s = e.step(true);
        if (!s.messages().isEmpty()) {
          batches++;
        }
        if (!s.more()) {
          break;
        }
      }
      return new Result(e.state().total() + e.state().skipped(), System.nanoTime() - t0, batches);
    }
  }

  /** Parameter sets over the generated file's wikis (those of the bundled sample), in a fixed order. */
  static List<ViewParams> spread() {
    List<ViewParams> out = new ArrayList<>();
    for (ViewParams.Window window : ViewParams.Window.values()) {
      for (String wiki : java.util.Arrays.asList(null, "wikidatawiki", "enwiki")) {
        for (Boolean bot : java.util.Arrays.asList(null, true, false)) {
          for (ViewParams.View view : List.of(ViewParams.View.COUNTER, ViewParams.View.TOP10, ViewParams.View.TOP_WIKIS)) {
            ViewParams p = new ViewParams(view, wiki, bot, window);
            if (!p.isDefault()) {
              out.add(p);
            }
          }
        }
      }
    }
    out.add(ViewParams.of(ViewParams.View.EDITS_PER_MINUTE).withWiki("wikidatawiki"));
    out.add(ViewParams.of(ViewParams.View.EDITS_PER_MINUTE).withWiki("enwiki"));
    return out;
  }

  /** Prints the heap the views hold for {@code heapUsers} distinct users (used heap after GC, before and after). */
  private void heapPerMillionUsers() {
    LargeFileGenerator names = new LargeFileGenerator(1, seed);
    long before = usedAfterGc();
    ViewState state = new ViewState();
    long chars = 0;
    for (int k = 0; k < heapUsers; k++) {
      String name = names.distinctName(k);
      chars += name.length();
      state.add(name);
    }
    long after = usedAfterGc();
    long groups = state.groups();
    Reference.reachabilityFence(state);
    double mb = (after - before) / (1024.0 * 1024.0);
    System.out.printf("heap: %,d distinct users (names of %.1f chars on average) take %.1f MiB, i.e. %.1f MiB per million users%n",
      groups, chars / (double) heapUsers, mb, mb * 1e6 / groups);
  }

  private static long usedAfterGc() {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 4; i++) {
      System.gc();
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return rt.totalMemory() - rt.freeMemory();
  }

  private static double median(List<Double> xs) {
    return Stats.median(xs);
  }
}
