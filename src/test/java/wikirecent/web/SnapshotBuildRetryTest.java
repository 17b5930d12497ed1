package wikirecent.web;

import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import wikirecent.bus.ViewParams;
import wikirecent.retry.Backoff;
import wikirecent.testsupport.Wait;

import java.lang.reflect.InvocationTargetException;
import java.time.Duration;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A snapshot build that fails (as when the heap is short) fails the requests waiting for it, which ask again; a follower
 * without a state has nobody to ask for it, so the replica tries the build again on a back-off while one waits, and
 * not otherwise.
 */
@ExtendWith(VertxExtension.class)
class SnapshotBuildRetryTest {

  private static final String KEY = "user_edits";

  /** A source whose user_edits has two users. */
  private static ScriptedViewSource aliceAndBob(Vertx vertx) {
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    Wait.on(source.edit("Alice", "Bob"));
    return source;
  }

  @Test
  void aFailedBuildIsTriedAgainWhileAFollowerWaitsForItsSnapshot(Vertx vertx) throws Exception {
    ScriptedViewSource source = aliceAndBob(vertx);
    JsonArray expected = Wait.on(source.expected(KEY));
    Node node = Node.start(vertx);

    node.failing.set(2);
    FanOutWalkTest.ApplyingClient follower = node.streamJoins();
    Wait.until("the follower gets the snapshot once a build succeeds",
      () -> node.holds(follower, expected));
    assertThat(node.builds.get()).as("two failed, the third built").isEqualTo(3);
    assertThat(follower.diverged).isFalse();
  }

  /** Between retries, the walk's visits and new followers (which ask the replica for its snapshot) start no build. */
  @Test
  void whileARetryWaitsTheWalkStartsNoBuild(Vertx vertx) throws Exception {
    ScriptedViewSource source = aliceAndBob(vertx);
    JsonArray expected = Wait.on(source.expected(KEY));
    Node node = Node.start(vertx);

    node.failing.set(Integer.MAX_VALUE);
    FanOutWalkTest.ApplyingClient follower = node.streamJoins();
    long visits = vertx.setPeriodic(1, t -> node.loop.runOnContext(v -> node.replica.snapshot()));
    Thread.sleep(500);
    vertx.cancelTimer(visits);
    // Retries back off from 0.2 s (full jitter): a dozen in half a second is out of reach; a build per visit, hundreds.
    assertThat(node.builds.get()).as("the first build and the back-off's retries").isBetween(1, 12);
    node.failing.set(0);
    Wait.until("the follower gets the snapshot from a retry",
      () -> node.holds(follower, expected));
    assertThat(follower.diverged).isFalse();
  }

  @Test
  void aFailedBuildNoFollowerWaitsForIsNotTriedAgain(Vertx vertx) throws Exception {
    ScriptedViewSource source = aliceAndBob(vertx);
    Node node = Node.start(vertx);

    FanOutWalkTest.ApplyingClient holding = new FanOutWalkTest.ApplyingClient();
    Wait.on(node.on(() -> {
      node.fanOut.add(holding);
      node.fanOut.subscribe(holding, KEY, false); // a page's way: it holds the state it registered at
      return null;
    }));

    node.failing.set(1);
    Promise<Encoded> answer = Promise.promise();
    node.on(() -> {
      node.replica.snapshot((AsyncResult<Encoded> ar) -> answer.handle(ar));
      return null;
    });
    Throwable why = Wait.on(answer.future().map(e -> (Throwable) null).otherwise(e -> e));
    assertThat(why).isInstanceOf(OpenFailure.class);
    assertThat(((OpenFailure) why).code).isEqualTo(503);
    Wait.until("the retry's timer ran", () -> !Wait.on(node.on(() -> node.replica.buildRetryPending())));
    assertThat(node.builds.get()).as("no retry: the request was told, and the follower holds a state").isEqualTo(1);
    Encoded again = Wait.on(node.on(() -> {
      Promise<Encoded> p = Promise.promise();
      node.replica.snapshot(ar -> p.handle(ar));
      return p.future();
    }).compose(f -> f));
    assertThat(again.timestamp).isEqualTo(Wait.on(source.lastTimestamp()));
  }

  /**
   * A reset replaces the state a failed build's retry waits to build: its followers' snapshot is built when the reset
   * is taken, not when the retry's wait (up to 5 s; here ten minutes) is over.
   */
  @Test
  void aResetAfterAFailedBuildIsBuiltAtOnce(Vertx vertx) throws Exception {
    ScriptedViewSource source = aliceAndBob(vertx);
    Node node = Node.start(vertx);
    RandomGenerator longest = new RandomGenerator() {
      @Override
      public long nextLong() {
        return 0;
      }

      @Override
      public long nextLong(long bound) {
        return bound - 1;
      }
    };
    long tenMinutes = Duration.ofMinutes(10).toMillis();
    Wait.on(node.on(() -> {
      node.replica.buildBackoff(new Backoff(tenMinutes, tenMinutes, tenMinutes, longest));
      return null;
    }));

    node.failing.set(1);
    FanOutWalkTest.ApplyingClient follower = node.streamJoins();
    Wait.until("the build failed and its retry waits", () -> Wait.on(node.on(() -> node.replica.buildRetryPending())));
    assertThat(node.builds.get()).isEqualTo(1);
    Wait.on(source.resetTo(Map.of("Carol", 3L)));
    Wait.until("the follower gets the reset's rows", () -> node.holds(follower, Wait.on(source.expected(KEY))));
    assertThat(node.builds.get()).as("the failed build, then the reset's").isEqualTo(2);
    assertThat(follower.diverged).isFalse();
  }

  /** A replica of user_edits and its fan-out on one event loop, building on a pool whose next builds can be made to fail. */
  private static final class Node {
    final AtomicInteger failing = new AtomicInteger();
    final AtomicInteger builds = new AtomicInteger();
    Context loop;
    FanOut fanOut;
    ViewReplica replica;

    static Node start(Vertx vertx) {
      Node n = new Node();
      WorkerExecutor real = vertx.createSharedWorkerExecutor("snapshot-build-retry-test", 1);
      WorkerExecutor builders = (WorkerExecutor) Proxy.newProxyInstance(WorkerExecutor.class.getClassLoader(),
        new Class<?>[]{WorkerExecutor.class}, (proxy, method, args) -> {
          if (method.getName().equals("executeBlocking") && args != null && args[0] instanceof Callable) {
            n.builds.incrementAndGet();
            if (n.failing.getAndUpdate(k -> Math.max(0, k - 1)) > 0) {
              return Future.failedFuture(new OutOfMemoryError("as if the heap were full"));
            }
          }
          try {
            return method.invoke(real, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
      n.loop = vertx.getOrCreateContext();
      WebMetrics metrics = new WebMetrics();
      Wait.on(n.on(() -> {
        AtomicReference<ViewReplica> r = new AtomicReference<>();
        n.fanOut = new FanOut(1 << 20, metrics, key -> r.get().snapshot(), key -> r.get().stateTimestamp(),
          task -> n.loop.runOnContext(v -> task.run()));
        r.set(new ViewReplica(vertx, ViewParams.parse(KEY), false, n.fanOut, metrics, (replica, why) -> { }, builders));
        n.replica = r.get();
        return n.replica.start().compose(v -> n.replica.outcome());
      }).compose(f -> f));
      return n;
    }

    /** A follower joining as a stream does: it waits for the snapshot. */
    FanOutWalkTest.ApplyingClient streamJoins() {
      FanOutWalkTest.ApplyingClient follower = new FanOutWalkTest.ApplyingClient();
      on(() -> {
        fanOut.add(follower);
        fanOut.subscribe(follower, KEY, true);
        return null;
      });
      return follower;
    }

    boolean holds(FanOutWalkTest.ApplyingClient follower, JsonArray rows) {
      return Wait.on(on(() -> follower.tables.containsKey(KEY) && follower.tables.get(KEY).rows().equals(rows)));
    }

    /** Runs on the node's event loop; its result once it has run. */
    <T> Future<T> on(Supplier<T> task) {
      Promise<T> p = Promise.promise();
      loop.runOnContext(v -> p.complete(task.get()));
      return p.future();
    }
  }
}
