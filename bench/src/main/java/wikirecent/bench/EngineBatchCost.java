package wikirecent.bench;

import com.fasterxml.jackson.core.JsonFactory;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import wikirecent.bus.Addresses;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewParams;
import wikirecent.config.Config;
import wikirecent.engine.Engine;
import wikirecent.engine.EngineVerticle;
import wikirecent.engine.EventParser;
import wikirecent.jsonb.LineScan;
import wikirecent.records.RecordFormat;

import java.io.FileOutputStream;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The engine's CPU per live batch at the live rate (one event per batch, ~40 a second), where the fixed cost of a
 * batch is all there is: {@code steps} times {@link Engine#step} alone on this thread (thread CPU per step, plus
 * what one checkpoint write costs); {@code verticle} runs the {@link EngineVerticle} as the app deploys it (append
 * hint on the bus, the worker's step, publishing, timers) and divides the CPU of its threads by the batches.
 */
final class EngineBatchCost {

  private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();
  static final long PERIOD_NANOS = 25_000_000; // 40 appends a second
  private static final int WARM_STEPS = 3_000;

  private EngineBatchCost() {
  }

  /** A history file of {@code events} events in a fresh temp dir (its {@code recentchanges}). */
  static Path history(long events, int users, long seed, List<String> sample) throws IOException {
    Path dir = Files.createTempDirectory("wikirecent-batch-cost");
    Path file = dir.resolve(Config.FILE_NAME);
    new LargeFileGenerator(users, seed).write(file, events, sample);
    return file;
  }

  static void deleteDir(Path dir) throws IOException {
    try (var files = Files.walk(dir)) {
      files.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /**
   * Live steps of one appended event each after a fast warm-up; prints the per-step thread CPU and allocation. The
   * paced steps come in blocks of 50, alternately sleeping between steps (as the engine's thread does) and spinning
   * (the thread never leaves its core), then as many back to back: what a step costs beyond its work when it runs
   * only every 25 ms. Blocks of the same schedule time a bare step in between (one read of the appended record and
   * Jackson's parse of its event, nothing else): the least a live batch can cost on this machine at this moment,
   * so the engine/bare ratio can be compared across runs and days.
   */
  static void steps(Path file, int appends, long paceNanos, List<ViewParams> instances, List<String> sample) throws IOException {
    Path checkpoint = file.resolveSibling("steps.checkpoint");
    try (Engine e = new Engine(file, checkpoint, 1 << 20, System::currentTimeMillis);
         FileOutputStream out = new FileOutputStream(file.toFile(), true);
         BareStep bare = new BareStep(file)) {
      while (e.step(false).more()) {
        // catch up
      }
      e.goLive();
      for (ViewParams p : instances) {
        e.open(p);
      }
      long[] cursor = {0};
      for (int i = 0; i < WARM_STEPS; i++) {
        append(out, sample, cursor);
        e.step(true);
        bare.time(out, sample, cursor);
      }
      e.step(true);
      cycleYoungGeneration();
      StepTimes slept = new StepTimes();
      StepTimes spun = new StepTimes();
      StepTimes hot = new StepTimes();
      Times bareSlept = new Times();
      Times bareSpun = new Times();
      Times bareHot = new Times();
      long next = System.nanoTime();
      for (int i = 0; i < appends; i++) {
        int block = paceNanos > 0 ? (i / 50) % 4 : 0; // engine sleeping, bare sleeping, engine spinning, bare spinning
        boolean spin = block >= 2;
        next += paceNanos;
        if (spin) {
          while (System.nanoTime() < next) {
            Thread.onSpinWait();
          }
        } else {
          sleepUntil(next);
        }
        if (block % 2 == 0) {
          (spin ? spun : slept).time(e, out, sample, cursor);
        } else {
          (spin ? bareSpun : bareSlept).add(bare.time(out, sample, cursor));
          if (i % 50 == 49) {
            e.step(true); // the engine takes in the bare block's events untimed
          }
        }
      }
      for (int i = 0; i < appends && paceNanos > 0; i++) {
        hot.time(e, out, sample, cursor);
        bareHot.add(bare.time(out, sample, cursor));
        e.step(true);
      }
      List<Double> cp = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        append(out, sample, cursor);
        e.step(true);
        long c0 = MX.getCurrentThreadCpuTime();
        e.writeCheckpoint();
        cp.add((MX.getCurrentThreadCpuTime() - c0) / 1e6);
      }
      int steps = slept.micros.size() + spun.micros.size() + hot.micros.size();
      System.out.printf(Locale.ROOT, "live steps %s, one event each, %d parameterised instances besides the default sets"
          + " (%,d events of history, %,d users, %,d wikis, %,d window events), %.1f messages/step, %,d bytes allocated per step;"
          + " thread CPU per step: %s%n",
        paceNanos == PERIOD_NANOS ? "at 40/s" : "every " + paceNanos / 1e6 + " ms", instances.size(),
        e.state().total() - cursor[0], e.state().groups(), e.core().wikis(), e.core().windowEvents(),
        (slept.messages + spun.messages + hot.messages) / (double) steps,
        (slept.allocated + spun.allocated + hot.allocated) / steps,
        paceNanos > 0 ? "sleeping between steps " + slept + "; spinning between steps " + spun + "; back to back " + hot
          : "back to back " + slept);
      if (paceNanos > 0) {
        System.out.printf(Locale.ROOT, "bare step (one read of the appended record, Jackson's parse of its event), in blocks"
            + " alternated with the engine's: sleeping %s; spinning %s; back to back %s; engine/bare, medians: sleeping %.1f,"
            + " spinning %.1f, back to back %.1f%n", bareSlept, bareSpun, bareHot,
          slept.median() / bareSlept.median(), spun.median() / bareSpun.median(), hot.median() / bareHot.median());
      }
      System.out.printf(Locale.ROOT, "checkpoint write: thread CPU median %.1f ms of 5 (%.2f ms/s at one a minute)%n",
        Stats.median(cp), Stats.median(cp) / 60);
    }
  }

  /**
   * Fills the young generation until it has been collected three times. A fresh JVM's heap pages are mapped on
   * first touch, so without this the few KB a step allocates land on new pages and a step pays page faults
   * (a fifth of its samples in `perf`) that a running app, whose young generation has cycled, does not.
   */
  private static void cycleYoungGeneration() {
    long target = youngCollections() + 3;
    for (long i = 0; youngCollections() < target && i < 1_000_000; i++) {
      garbage = new byte[64 * 1024];
    }
    garbage = null;
  }

  private static volatile Object garbage; // escapes, so the JIT keeps the allocations

  private static long youngCollections() {
    long n = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (!gc.getName().contains("Old") && !gc.getName().contains("MarkSweep")) {
        n += Math.max(0, gc.getCollectionCount());
      }
    }
    return n;
  }

  /** Thread CPU of timed steps, engine or bare (µs). */
  private static class Times {
    final List<Double> micros = new ArrayList<>();

    void add(double us) {
      micros.add(us);
    }

    double median() {
      return Stats.median(micros);
    }

    /** The median as {@link #median} (and the ratios) take it, p90 nearest-rank. */
    @Override
    public String toString() {
      return String.format(Locale.ROOT, "median %.1f us, p90 %.1f us (%d steps)", median(), Stats.percentile(micros, 90), micros.size());
    }
  }

  /** Thread CPU and allocation of timed engine steps. */
  private static final class StepTimes extends Times {
    long messages;
    long allocated;

    void time(Engine e, FileOutputStream out, List<String> sample, long[] cursor) throws IOException {
      append(out, sample, cursor);
      long a0 = allocatedBytes();
      long c0 = MX.getCurrentThreadCpuTime();
      Engine.Step s = e.step(true);
      add((MX.getCurrentThreadCpuTime() - c0) / 1e3);
      allocated += allocatedBytes() - a0;
      messages += s.messages().size();
    }
  }

  /** Appends a record, then reads it with one positioned read and parses its event with Jackson. */
  private static final class BareStep implements AutoCloseable {
    private final FileChannel channel;
    private final JsonFactory factory = EventParser.factory();
    private final byte[] prefix = RecordFormat.DATA_PREFIX_BYTES;
    private byte[] buf = new byte[1 << 16];

    BareStep(Path file) throws IOException {
      channel = FileChannel.open(file, StandardOpenOption.READ);
    }

    /** Thread CPU (µs) of reading and parsing the record it appends. */
    double time(FileOutputStream out, List<String> sample, long[] cursor) throws IOException {
      long position = channel.size();
      append(out, sample, cursor);
      long c0 = MX.getCurrentThreadCpuTime();
      long size = channel.size();
      int len = (int) (size - position);
      if (buf.length < len) {
        buf = new byte[len];
      }
      ByteBuffer bb = ByteBuffer.wrap(buf, 0, len);
      while (bb.hasRemaining() && channel.read(bb, position + bb.position()) > 0) {
        // the whole record
      }
      for (int i = 0; i < len; ) {
        int nl = LineScan.newline(buf, i, len);
        int end = nl < 0 ? len : nl;
        if (RecordFormat.startsWith(buf, i, end, prefix)) {
          EngineBench.jacksonReads(factory, buf, i + prefix.length, end - i - prefix.length);
        }
        i = end + 1;
      }
      return (MX.getCurrentThreadCpuTime() - c0) / 1e3;
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }

  /**
   * The engine verticle over {@code file}'s dir at 40 appends/s with the append hint, as ingest sends it; a consumer on
   * every published address (as a web node holds). Prints CPU per batch: the worker threads (the engine), the event
   * loops (timers, hint and the consumers here), and the whole process.
   */
  static void verticle(Path file, int seconds, int warmAppends, List<ViewParams> instances, long checkpointMillis, List<String> sample) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      AtomicLong batches = new AtomicLong();
      AtomicLong messages = new AtomicLong();
      for (ViewParams.View v : ViewParams.View.values()) {
        subscribe(vertx, Addresses.view(ViewParams.of(v)), batches, messages, v == ViewParams.View.COUNTER);
      }
      for (ViewParams p : instances) {
        subscribe(vertx, Addresses.view(p), batches, messages, false);
      }
      JsonObject config = Parts.config(file.getParent(), new JsonObject()
        .put(Config.ENGINE_CHECKPOINT_MILLIS, checkpointMillis).put(Config.VIEWS_INSTANCE_IDLE_SECONDS, 3600));
      vertx.deployVerticle(new EngineVerticle(), new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)
        .setConfig(config)).await(5, TimeUnit.MINUTES);
      for (ViewParams p : instances) {
        Object body = p.toJson();
        for (int attempt = 0; ; attempt++) {
          try {
            vertx.eventBus().request(Addresses.snapshot(p.view().viewName()), body).await(60, TimeUnit.SECONDS);
            break;
          } catch (Exception ex) {
            if (!(ex instanceof ReplyException r) || r.failureCode() != 503 || attempt > 600) {
              throw ex;
            }
            Thread.sleep(100);
          }
        }
      }
      long[] cursor = {0};
      try (FileOutputStream out = new FileOutputStream(file.toFile(), true)) {
        fastAppends(vertx, out, sample, cursor, warmAppends); // the JIT compiles the per-batch path (a long-running app's steady state)
        feed(vertx, out, sample, cursor, Duration.ofSeconds(5)); // warm-up at the live rate
        long w0 = Machine.threadCpuNanos("vert.x-worker-thread");
        long l0 = Machine.threadCpuNanos("vert.x-eventloop-thread");
        long p0 = processCpuNanos();
        long b0 = batches.get();
        long m0 = messages.get();
        long t0 = System.nanoTime();
        long appended = feed(vertx, out, sample, cursor, Duration.ofSeconds(seconds));
        Thread.sleep(200); // the last batch
        double secs = (System.nanoTime() - t0) / 1e9;
        long worker = Machine.threadCpuNanos("vert.x-worker-thread") - w0;
        long loops = Machine.threadCpuNanos("vert.x-eventloop-thread") - l0;
        long process = processCpuNanos() - p0;
        long b = batches.get() - b0;
        long m = messages.get() - m0;
        System.out.printf(Locale.ROOT, "engine verticle at 40 appends/s with the hint, %d parameterised instances besides the default"
            + " sets, %d s after %,d fast appends: %,d appends, %,d batches, %.1f messages/batch; CPU per batch: worker threads (the engine) %.3f ms,"
            + " event loops %.3f ms, whole process %.3f ms; engine %.2f ms/s%n",
          instances.size(), seconds, warmAppends, appended, b, m / (double) Math.max(1, b), worker / 1e6 / b, loops / 1e6 / b,
          process / 1e6 / b, worker / 1e6 / secs);
      }
    } finally {
      vertx.close().await(60, TimeUnit.SECONDS);
    }
  }

  /**
   * Compiles the engine's live per-batch path in this JVM: an engine verticle over {@code dir} (emptied first) goes live,
   * takes {@code appends} appends ~1 ms apart with the append hint, and is undeployed.
   */
  static void warmLivePath(Path dir, List<String> sample, int appends) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Path file = dir.resolve(Config.FILE_NAME);
      Files.deleteIfExists(file);
      Files.deleteIfExists(dir.resolve(EngineVerticle.CHECKPOINT_FILE));
      AtomicLong count = new AtomicLong(-1);
      vertx.eventBus().<JsonObject>consumer(Addresses.view(ViewParams.of(ViewParams.View.COUNTER)),
        m -> count.set(Parts.count(m.body()))).completion().await(10, TimeUnit.SECONDS);
      String id = Parts.deployEngine(vertx, Parts.config(dir, new JsonObject().put(Config.ENGINE_CHECKPOINT_MILLIS, 3_600_000L)));
      long[] cursor = {0};
      try (FileOutputStream out = new FileOutputStream(file.toFile(), true)) {
        fastAppends(vertx, out, sample, cursor, appends);
      }
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
      while (count.get() != appends && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      if (count.get() != appends) {
        throw new IllegalStateException("the warm-up engine counted " + count.get() + " of " + appends + " appends");
      }
      vertx.undeploy(id).await(1, TimeUnit.MINUTES);
    } finally {
      vertx.close().await(60, TimeUnit.SECONDS);
    }
  }

  private static void subscribe(Vertx vertx, String address, AtomicLong batches, AtomicLong messages, boolean counter)
    throws Exception {
    vertx.eventBus().<JsonObject>consumer(address, msg -> {
      if (!ViewMessage.isSnapshot(msg.body())) {
        messages.incrementAndGet();
        if (counter) {
          batches.incrementAndGet();
        }
      }
    }).completion().await(10, TimeUnit.SECONDS);
  }

  private static long feed(Vertx vertx, FileOutputStream out, List<String> sample, long[] cursor, Duration d) throws Exception {
    long end = System.nanoTime() + d.toNanos();
    long next = System.nanoTime();
    long n = 0;
    while (next < end) {
      append(out, sample, cursor);
      vertx.eventBus().publish(Addresses.FILE_APPENDED, out.getChannel().size());
      n++;
      next += PERIOD_NANOS;
      sleepUntil(next);
    }
    return n;
  }

  /** {@code n} appends about 1 ms apart, each with the append hint, as ingest sends it. */
  private static void fastAppends(Vertx vertx, FileOutputStream out, List<String> sample, long[] cursor, int n) throws IOException {
    for (int i = 0; i < n; i++) {
      append(out, sample, cursor);
      vertx.eventBus().publish(Addresses.FILE_APPENDED, out.getChannel().size());
      sleepUntil(System.nanoTime() + 1_000_000);
    }
  }

  private static void append(FileOutputStream out, List<String> sample, long[] cursor) throws IOException {
    out.write(RecordFormat.record("[{\"topic\":\"bench-live\",\"offset\":" + cursor[0] + "}]",
      sample.get((int) (cursor[0] % sample.size()))));
    cursor[0]++;
  }

  private static void sleepUntil(long nanoTime) {
    long sleep = nanoTime - System.nanoTime();
    if (sleep > 0) {
      try {
        TimeUnit.NANOSECONDS.sleep(sleep);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static long allocatedBytes() {
    return MX instanceof com.sun.management.ThreadMXBean t ? t.getCurrentThreadAllocatedBytes() : 0;
  }

  private static long processCpuNanos() {
    return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
      ? os.getProcessCpuTime() : -1;
  }
}
