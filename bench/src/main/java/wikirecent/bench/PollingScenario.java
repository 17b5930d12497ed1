package wikirecent.bench;

import wikirecent.testsupport.Postgres;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import wikirecent.bus.Addresses;
import wikirecent.status.Metrics;
import wikirecent.config.Config;
import wikirecent.records.RecordFormat;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.Views;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * 4. Cost against polling. The same events go into a PostgreSQL table and into the
 * {@code recentchanges} file the engine follows. While live events arrive at the live rate (each
 * appended to the file and inserted into the table), a poller runs the counter and top-10
 * queries once a second, as a web app backed by SQL would, and wikirecent's engine publishes its
 * diffs. Per history size: PostgreSQL backend CPU per poll (/proc/&lt;pg_backend_pid()&gt;/schedstat)
 * and the engine's CPU per batch (thread CPU of the worker threads it runs on), and the bytes a
 * client gets per update (the full result vs our diff frames). History is loaded before the
 * measurement and not counted on either side.
 */
final class PollingScenario {

  static final String COUNT_SQL = "SELECT count(*) FROM recentchanges";
  static final String TOP10_SQL = "SELECT \"user\", count(*) FROM recentchanges GROUP BY \"user\" ORDER BY count DESC, \"user\" LIMIT 10";
  private static final String PG_SETTINGS = "-c shared_buffers=1GB -c work_mem=64MB -c max_parallel_workers_per_gather=0";
  private static final int USER_NAMES = 200_000;
  private static final long BIG = 1_000_000;
  /** Fast appends that compile the engine's per-batch path first, as in an app that has run for minutes. */
  static final int WARM_APPENDS = 10_000;

  private PollingScenario() {
  }

  static Report.Table run(BenchOptions o, Path tmp) throws Exception {
    Report.Table t = new Report.Table("polling",
      "4. Cost against polling: PostgreSQL answering the counter + top-10 queries once a second vs wikirecent's incremental views")
      .column("history", "history events", "%,d")
      .column("users", "distinct users", "%,d")
      .column("pgCpuMsPerPoll", "PG CPU ms/poll", "%,.2f")
      .column("pgWallMsPerPoll", "PG wall ms/poll", "%,.1f")
      .column("engineCpuMsPerSecond", "engine CPU ms/s", "%,.2f")
      .column("engineCpuMsPerBatch", "engine CPU ms/batch", "%.3f")
      .column("cpuRatio", "CPU/s PG:engine", "%,.1f")
      .column("pollBytes", "poll bytes/update", "%,.0f")
      .column("diffBytes", "diff bytes/batch", "%,.0f")
      .column("bytesPerUpdateRatio", "bytes/update poll:diff", "%.1f")
      .column("bytesPerSecondRatio", "bytes/s poll:diff", "%.2f");
    List<String> missing = Postgres.missingBinaries();
    if (!missing.isEmpty()) {
      t.status = "skipped";
      t.note("SKIPPED: PostgreSQL server binaries not found (PATH, /usr/lib/postgresql/*/bin): " + String.join(", ", missing)
        + " (install the PostgreSQL server: initdb, pg_ctl, postgres, and psql)");
      return t;
    }
    List<String> sample = LargeFileGenerator.sampleLines(null);
    List<String> sampleUsers = users(sample);
    Path data = Files.createDirectories(tmp.resolve("data"));
    EngineBatchCost.warmLivePath(Files.createDirectories(tmp.resolve("warm")), sample, WARM_APPENDS);
    Path file = data.resolve(Config.FILE_NAME);
    Vertx vertx = Vertx.vertx();
    try (Postgres pg = Postgres.start(PG_SETTINGS)) {
      pg.psql("CREATE TABLE recentchanges (\"user\" text)");
      PgConnection poller = Parts.await(PgConnection.connect(vertx, pg.connectOptions()), Duration.ofSeconds(30));
      PgConnection writer = Parts.await(PgConnection.connect(vertx, pg.connectOptions()), Duration.ofSeconds(30));
      long backend = Parts.await(poller.query("SELECT pg_backend_pid()").execute(), Duration.ofSeconds(30)).iterator().next().getInteger(0);
      JsonObject config = Parts.config(data, new JsonObject().put(Config.ENGINE_CHECKPOINT_MILLIS, 3_600_000L));
      Live live = new Live(vertx);
      LargeFileGenerator generator = new LargeFileGenerator(USER_NAMES, 7);
      long history = 0;
      long liveEvents = 0;
      long[] liveCursor = {0};
      for (long size : o.pollingSizes) {
        if (size < history) {
          continue; // sizes grow; a smaller one after a bigger one cannot be had without reloading
        }
        long l0 = System.nanoTime();
        appendHistory(pg, file, generator, history, size - history);
        pg.psql("VACUUM (FREEZE, ANALYZE) recentchanges");
        history = size;
        String engine = Parts.deployEngine(vertx, config); // catches up from its checkpoint (or the start) before going live
        live.awaitCount(history + liveEvents, Duration.ofMinutes(5));
        double loadSeconds = (System.nanoTime() - l0) / 1e9;
        long users = Math.round(Metrics.registry(vertx).get("wikirecent.views.users").gauge().value());

        int polls = size > BIG ? Math.min(o.polls, 5) : o.polls;
        Measured m = measure(vertx, poller, writer, backend, live, file, sample, sampleUsers, liveCursor, polls, o.liveRate);
        liveEvents += m.liveEvents;
        Parts.await(vertx.undeploy(engine), Duration.ofMinutes(1)); // writes its checkpoint: the next size reads only what is new

        double pgCpuPerSecond = m.pgCpuNanos / m.seconds;
        double engineCpuPerSecond = m.engineCpuNanos / m.seconds;
        double pollBytes = Stats.median(m.pollBytes);
        double diffPerBatch = m.batches == 0 ? Double.NaN : m.diffBytes / (double) m.batches;
        t.row("history", size, "users", users, "loadSeconds", loadSeconds,
          "pgCpuMsPerPoll", Stats.median(m.pgCpuMs), "pgWallMsPerPoll", Stats.median(m.pgWallMs),
          "engineCpuMsPerSecond", engineCpuPerSecond / 1e6,
          "engineCpuMsPerBatch", m.batches == 0 ? Double.NaN : m.engineCpuNanos / 1e6 / m.batches,
          "batchesPerSecond", m.batches / m.seconds,
          "cpuRatio", engineCpuPerSecond > 0 ? pgCpuPerSecond / engineCpuPerSecond : Double.NaN,
          "pollBytes", pollBytes, "diffBytes", diffPerBatch, "bytesPerUpdateRatio", pollBytes / diffPerBatch,
          "bytesPerSecondRatio", m.diffBytes == 0 ? Double.NaN : pollBytes * m.polls / (double) m.diffBytes,
          "polls", m.polls, "seconds", m.seconds, "pgCpuMsPerSecond", pgCpuPerSecond / 1e6,
          "pgCpuMsPerPollAll", m.pgCpuMs, "pgWallMsPerPollAll", m.pgWallMs, "liveEvents", m.liveEvents);
      }
      poller.close();
      writer.close();
    } finally {
      Parts.close(vertx);
    }
    t.note("table: recentchanges(\"user\" text), one row per event holding only the user (NULL when the event has none): what"
      + " sql/views.sql's recentchanges keeps and all that the two queries read (the original demo's view also kept a dozen more columns,"
      + " which would only make each scan slower); no index (neither query can avoid reading every row)");
    t.note("queries, once a second on one connection: " + COUNT_SQL + "; " + TOP10_SQL);
    t.note("PostgreSQL 15 with shared_buffers=1GB (the table stays in memory), work_mem=64MB (no spill to disk),"
      + " max_parallel_workers_per_gather=0 (all of a query's CPU is in its one backend; workers would not lower the CPU), fsync off;"
      + " CPU per poll = the backend's /proc/<pid>/schedstat run time across both queries (user + system, ns)");
    t.note("history: " + USER_NAMES / 1000 + "k user names (5 bots take 19%, Zipf 1.1 tail); loaded with COPY (the user column only)"
      + " and appended to the file as compact records (data: {\"user\":...}); then VACUUM (FREEZE, ANALYZE); load s = COPY + vacuum"
      + " + the engine catching up the new part; not counted in the CPU columns");
    t.note(String.format("live: %.0f events/s from the bundled sample, each appended to the file (plus the append hint, as ingest"
      + " does) and INSERTed into the table on another connection; neither side's write cost is counted", o.liveRate));
    t.note("engine CPU = CPU time of the Vert.x worker threads (the engine is a worker verticle; nothing else runs there) over the"
      + " measured seconds, divided by the batches it published; the periodic checkpoint (once a minute by default) is held off"
      + " during the measurement");
    t.note("before the first size, an engine over a throwaway file took " + WARM_APPENDS + " appends ~1 ms apart, so the JIT has"
      + " compiled the per-batch path (at 40 batches a second that takes minutes; without it the first sizes measure interpreted code)");
    t.note("CPU/s PG:engine = PostgreSQL's CPU per second of polling / the engine's CPU per second of the same live traffic;"
      + " at ~40 single-event batches a second most of the engine's CPU is the fixed cost of waking up per batch (cache-cold"
      + " code and thread hand-offs on a busy box), not the event itself");
    t.note("bytes: poll = our snapshot message of counter + top10 (the full result, as JSON in the one message shape; HTTP"
      + " headers not counted); diff = the counter + top10 batch messages the engine published (what /api/stream/<view> sends"
      + " as text frames); bytes/s poll:diff compares a 1-a-second poll with the ~40 diffs a second that carry every change"
      + " (below 1: the diffs send more bytes a second, for 40x fresher views; polling as often would send poll:diff x 40 more)");
    t.note("polls per size: " + o.polls + " (at most 5 past 1M events); PG figures are medians over the polls");
    return t;
  }

  private record Measured(int polls, double seconds, List<Double> pgCpuMs, List<Double> pgWallMs, List<Double> pollBytes,
                          long engineCpuNanos, double pgCpuNanos, long batches, long diffBytes, long liveEvents) {
  }

  /** Counts the engine's counter and top10 batches (and their bytes) and knows the latest count. */
  private static final class Live {
    final AtomicLong count = new AtomicLong(-1);
    final AtomicLong batches = new AtomicLong();
    final AtomicLong bytes = new AtomicLong();

    Live(Vertx vertx) {
      for (Views v : List.of(Views.COUNTER, Views.TOP10)) {
        vertx.eventBus().<JsonObject>consumer(Addresses.view(v.viewName()), m -> {
          JsonObject body = m.body();
          if (v == Views.COUNTER) {
            count.set(Parts.count(body));
          }
          if (!ViewMessage.isSnapshot(body)) {
            if (v == Views.COUNTER) {
              batches.incrementAndGet();
            }
            bytes.addAndGet(body.encode().getBytes(StandardCharsets.UTF_8).length);
          }
        });
      }
    }

    void awaitCount(long n, Duration timeout) throws Exception {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (count.get() != n) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the engine's counter is " + count.get() + ", expected " + n);
        }
        Thread.sleep(20);
      }
    }
  }

  private static Measured measure(Vertx vertx, PgConnection poller, PgConnection writer, long backend, Live live, Path file,
                                  List<String> sample, List<String> sampleUsers, long[] cursor, int polls, double rate) throws Exception {
    AtomicReference<Throwable> insertFailure = new AtomicReference<>();
    AtomicLong appended = new AtomicLong();
    long periodNanos = (long) (1e9 / rate);
    Thread appender = new Thread(() -> {
      try (FileOutputStream out = new FileOutputStream(file.toFile(), true)) {
        long next = System.nanoTime();
        while (!Thread.currentThread().isInterrupted()) {
          int i = (int) (cursor[0] % sample.size());
          out.write(RecordFormat.record("[{\"topic\":\"bench-live\",\"offset\":" + cursor[0] + "}]", sample.get(i)));
          cursor[0]++;
          appended.incrementAndGet();
          vertx.eventBus().publish(Addresses.FILE_APPENDED, out.getChannel().size());
          writer.preparedQuery("INSERT INTO recentchanges (\"user\") VALUES ($1)").execute(Tuple.of(sampleUsers.get(i)))
            .onFailure(insertFailure::set);
          next += periodNanos;
          long sleep = next - System.nanoTime();
          if (sleep > 0) {
            TimeUnit.NANOSECONDS.sleep(sleep);
          }
        }
      } catch (InterruptedException e) {
        // stop
      } catch (IOException e) {
        insertFailure.set(e);
      }
    }, "bench-live-appender");
    appender.start();
    try {
      Thread.sleep(1500); // the live path warms up
      List<Double> cpu = new ArrayList<>();
      List<Double> wall = new ArrayList<>();
      List<Double> bytes = new ArrayList<>();
      long engine0 = Machine.threadCpuNanos("vert.x-worker-thread");
      long batches0 = live.batches.get();
      long bytes0 = live.bytes.get();
      long t0 = System.nanoTime();
      double pgCpu = 0;
      for (int p = 0; p < polls; p++) {
        long due = t0 + p * 1_000_000_000L;
        long sleep = due - System.nanoTime();
        if (sleep > 0) {
          TimeUnit.NANOSECONDS.sleep(sleep);
        }
        long c0 = Machine.cpuNanos(backend);
        long w0 = System.nanoTime();
        RowSet<Row> counter = Parts.await(poller.query(COUNT_SQL).execute(), Duration.ofMinutes(5));
        RowSet<Row> top = Parts.await(poller.query(TOP10_SQL).execute(), Duration.ofMinutes(5));
        long w1 = System.nanoTime();
        long c1 = Machine.cpuNanos(backend);
        cpu.add((c1 - c0) / 1e6);
        pgCpu += c1 - c0;
        wall.add((w1 - w0) / 1e6);
        bytes.add((double) fullResultBytes(counter, top));
      }
      // The measured span: whole seconds of polling (a poll slower than a second stretches it).
      long end = Math.max(System.nanoTime(), t0 + polls * 1_000_000_000L);
      long sleep = end - System.nanoTime();
      if (sleep > 0) {
        TimeUnit.NANOSECONDS.sleep(sleep);
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      long engineCpu = Machine.threadCpuNanos("vert.x-worker-thread") - engine0;
      long batches = live.batches.get() - batches0;
      long diffBytes = live.bytes.get() - bytes0;
      appender.interrupt();
      appender.join(10_000);
      if (insertFailure.get() != null) {
        throw new IllegalStateException("live writes failed: " + insertFailure.get(), insertFailure.get());
      }
      Parts.await(writer.query("SELECT 1").execute(), Duration.ofMinutes(1)); // the inserts ahead of it are done
      return new Measured(polls, seconds, cpu, wall, bytes, engineCpu, pgCpu, batches, diffBytes, appended.get());
    } finally {
      appender.interrupt();
      appender.join(10_000);
    }
  }

  /** What a polling client gets per update: the full results as our snapshot messages (UTF-8 bytes). */
  static int fullResultBytes(RowSet<Row> counter, RowSet<Row> top) {
    long ts = System.currentTimeMillis();
    JsonArray count = new JsonArray().add(new JsonArray().add(counter.iterator().next().getLong(0)));
    JsonArray rows = new JsonArray();
    for (Row r : top) {
      rows.add(new JsonArray().add(r.getString(0)).add(r.getLong(1)));
    }
    return ViewMessage.snapshot(Views.COUNTER.viewName(), ts, count).encode().getBytes(StandardCharsets.UTF_8).length
      + ViewMessage.snapshot(Views.TOP10.viewName(), ts, rows).encode().getBytes(StandardCharsets.UTF_8).length;
  }

  /**
   * Appends {@code n} history events to the file (compact records: only the user) and COPYs the same users into the table,
   * both from one pass over the generator.
   */
  private static void appendHistory(Postgres pg, Path file, LargeFileGenerator generator, long from, long n) throws Exception {
    List<String> cmd = pg.psqlCommand("COPY recentchanges (\"user\") FROM STDIN");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
      .redirectOutput(file.resolveSibling("copy.log").toFile());
    pb.environment().put("PGCLIENTENCODING", "UTF8");
    Process copy = pb.start();
    try (OutputStream rows = new BufferedOutputStream(copy.getOutputStream(), 1 << 20);
         OutputStream records = new BufferedOutputStream(new FileOutputStream(file.toFile(), true), 1 << 20)) {
      StringBuilder line = new StringBuilder(64);
      for (long i = 0; i < n; i++) {
        String user = generator.nextUser();
        String json = user == null ? "{}" : "{\"user\":" + Json.encode(user) + "}";
        records.write(RecordFormat.record("[{\"offset\":" + (from + i) + "}]", json));
        line.setLength(0);
        copyField(line, user);
        line.append('\n');
        rows.write(line.toString().getBytes(StandardCharsets.UTF_8));
      }
    }
    if (!copy.waitFor(10, TimeUnit.MINUTES) || copy.exitValue() != 0) {
      throw new IOException("COPY into PostgreSQL failed: " + Files.readString(file.resolveSibling("copy.log")));
    }
  }

  /** A field of COPY's text format: \N for NULL; backslash, tab, newline and CR escaped. */
  static void copyField(StringBuilder sb, String v) {
    if (v == null) {
      sb.append("\\N");
      return;
    }
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      switch (c) {
        case '\\' -> sb.append("\\\\");
        case '\t' -> sb.append("\\t");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        default -> sb.append(c);
      }
    }
  }

  private static List<String> users(List<String> sample) throws IOException {
    ObjectMapper mapper = new ObjectMapper();
    List<String> users = new ArrayList<>();
    for (String line : sample) {
      JsonNode user = mapper.readTree(line).get("user");
      users.add(user == null || user.isNull() ? null : user.asText());
    }
    return users;
  }
}
