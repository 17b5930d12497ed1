package wikirecent.tail;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import wikirecent.bus.Addresses;
import wikirecent.config.Config;
import wikirecent.testsupport.Wait;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static wikirecent.tail.FakeMaterialize.TailRow.data;
import static wikirecent.tail.FakeMaterialize.TailRow.progress;

/**
 * Not a test: how fast the tail verticle turns TAIL rows on the wire into published messages,
 * against the stand-in on loopback (which pre-builds its answers, so the verticle's side is what
 * is measured, with the PG client's decoding); then what snapshot requests cost the tail's event loop: each
 * after one more changed row, while another thread asks the tail for its status back to back (the status is answered
 * on the same loop, so its wait is the loop's). Prints numbers; from the repository root, after
 * {@code mvn -q package -DskipTests}:
 * {@code java -cp bench/target/wikirecent-bench.jar:target/test-classes:test-support/target/classes:bench/target/test-classes
 * wikirecent.tail.TailBench [users] [fetches] [rowsPerFetch] [requests]} (defaults 1000000 200 5000 20).
 */
public final class TailBench {

  public static void main(String[] args) throws Exception {
    int users = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int fetches = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    int rowsPerFetch = args.length > 2 ? Integer.parseInt(args[2]) : 5_000;
    int requests = args.length > 3 ? Integer.parseInt(args[3]) : 20;
    long t = 1_700_000_000_000L;

    ScriptedTail script = new ScriptedTail();
    List<FakeMaterialize.TailRow> snapshot = new ArrayList<>(users + 1);
    for (int i = 0; i < users; i++) {
      snapshot.add(data(t, 1, "user" + i, 1L));
    }
    snapshot.add(progress(t + 1));
    script.rows("user_edits", snapshot.toArray(new FakeMaterialize.TailRow[0]));
    long[] counts = new long[users];
    java.util.Arrays.fill(counts, 1);
    for (int f = 0; f < fetches; f++) {
      long ts = t + 1000L * (f + 1);
      List<FakeMaterialize.TailRow> rows = new ArrayList<>(rowsPerFetch + 1);
      for (int r = 0; r < rowsPerFetch / 2; r++) {
        int u = (f * (rowsPerFetch / 2) + r) % users;
        rows.add(data(ts, -1, "user" + u, counts[u]));
        counts[u]++;
        rows.add(data(ts, 1, "user" + u, counts[u]));
      }
      rows.add(progress(ts + 1));
      script.rows("user_edits", rows.toArray(new FakeMaterialize.TailRow[0]));
    }

    Vertx vertx = Vertx.vertx();
    FakeMaterialize fake = Wait.on(new FakeMaterialize(vertx, script).idleMillis(1000).start(0));
    AtomicLong messages = new AtomicLong();
    AtomicLong snapshotAt = new AtomicLong();
    CountDownLatch done = new CountDownLatch(1);
    Wait.on(vertx.eventBus().<JsonObject>consumer(Addresses.view("user_edits"), m -> {
      if (messages.incrementAndGet() == 1) {
        snapshotAt.set(System.nanoTime());
      } else if (messages.get() == fetches + 1) {
        done.countDown();
      }
    }).completion());
    JsonObject conf = Config.load(new JsonObject().put(Config.MATERIALIZE_URL, fake.url()), Map.of());
    long start = System.nanoTime();
    Wait.on(vertx.deployVerticle(new TailVerticle(), new DeploymentOptions().setConfig(conf)));
    if (!done.await(10, TimeUnit.MINUTES)) {
      throw new IllegalStateException("only " + messages.get() + " messages");
    }
    long end = System.nanoTime();
    double snapshotSeconds = (snapshotAt.get() - start) / 1e9;
    double streamSeconds = (end - snapshotAt.get()) / 1e9;
    long streamRows = (long) fetches * (rowsPerFetch / 2) * 2;
    System.out.printf("snapshot: %,d rows (user_edits) published as one message %.2f s after deploy (%,.0f rows/s)%n",
      users, snapshotSeconds, users / snapshotSeconds);
    System.out.printf("updates: %,d TAIL rows in %,d FETCHes -> %,d batches in %.2f s (%,.0f rows/s, %,.0f batches/s)%n",
      streamRows, fetches, fetches, streamSeconds, streamRows / streamSeconds, fetches / streamSeconds);
    snapshotRequests(vertx, script, messages, t + 1000L * (fetches + 1), users, requests);
    Wait.on(vertx.close());
  }

  private static void snapshotRequests(Vertx vertx, ScriptedTail script, AtomicLong messages, long t, int users, int requests)
    throws Exception {
    List<Double> answers = new ArrayList<>();
    List<Double> pings = new ArrayList<>();
    List<Double> longest = new ArrayList<>(); // the loop's longest wait during each request
    for (int r = 0; r < requests; r++) {
      long ts = t + 1000L * r;
      long before = messages.get();
      script.rows("user_edits", data(ts, 1, "new" + r, 1L), progress(ts + 1));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (messages.get() == before) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the change of round " + r + " was not published");
        }
        Thread.sleep(1);
      }
      AtomicBoolean answered = new AtomicBoolean();
      Thread pinger = new Thread(() -> {
        while (!answered.get()) {
          long p0 = System.nanoTime();
          Wait.on(vertx.eventBus().request(Addresses.STATUS_VIEWS, null));
          synchronized (pings) {
            pings.add((System.nanoTime() - p0) / 1e6);
          }
        }
      });
      pinger.start();
      int from;
      synchronized (pings) {
        from = pings.size();
      }
      long a0 = System.nanoTime();
      Wait.on(vertx.eventBus().request(Addresses.snapshot("user_edits"), null));
      answers.add((System.nanoTime() - a0) / 1e6);
      answered.set(true);
      pinger.join();
      longest.add(percentile(pings.subList(from, pings.size()), 100));
    }
    System.out.printf("snapshot requests: %d of user_edits (%,d+ rows), each after a change: answer p50 %.1f ms, max %.1f ms;"
        + " the tail's loop meanwhile (%,d status requests): p50 %.2f ms, p99 %.1f ms, max %.1f ms;"
        + " its longest wait per request p50 %.1f ms%n",
      requests, users, percentile(answers, 50), percentile(answers, 100), pings.size(), percentile(pings, 50),
      percentile(pings, 99), percentile(pings, 100), percentile(longest, 50));
  }

  private static double percentile(List<Double> values, double p) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.isEmpty() ? Double.NaN : sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(p / 100 * sorted.size()) - 1));
  }
}
