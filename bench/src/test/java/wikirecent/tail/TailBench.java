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
import java.util.concurrent.atomic.AtomicLong;

import static wikirecent.tail.FakeMaterialize.TailRow.data;
import static wikirecent.tail.FakeMaterialize.TailRow.progress;

/**
 * Not a test: how fast the tail verticle turns TAIL rows on the wire into published messages,
 * against the stand-in on loopback (which pre-builds its answers, so the verticle's side is what
 * is measured, with the PG client's decoding). Prints numbers; run it with the test classpath:
 * {@code java -cp target/classes:target/test-classes:$(cat cp.txt) wikirecent.tail.TailBench [users] [fetches] [rowsPerFetch]}.
 */
public final class TailBench {

  public static void main(String[] args) throws Exception {
    int users = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int fetches = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    int rowsPerFetch = args.length > 2 ? Integer.parseInt(args[2]) : 5_000;
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
    Wait.on(vertx.close());
  }
}
