package wikirecent.testsupport;

import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;

import java.util.concurrent.CountDownLatch;

/**
 * Every thread of a named shared worker pool kept busy until {@link #release}: what the code under test hands that
 * pool waits meanwhile. A pool shared by name is one pool for every holder of the name in a Vert.x instance.
 */
public final class HeldPool implements AutoCloseable {

  private final WorkerExecutor pool;
  private final int threads;
  private CountDownLatch go = new CountDownLatch(0);

  private HeldPool(WorkerExecutor pool, int threads) {
    this.pool = pool;
    this.threads = threads;
  }

  /** Returns once all {@code threads} threads of the pool named {@code name} are held. */
  public static HeldPool hold(Vertx vertx, String name, int threads) throws InterruptedException {
    HeldPool held = new HeldPool(vertx.createSharedWorkerExecutor(name, threads), threads);
    held.holdAgain();
    return held;
  }

  /** Holds every thread again after a {@link #release}; returns once they are held. */
  public void holdAgain() throws InterruptedException {
    CountDownLatch busy = new CountDownLatch(threads);
    CountDownLatch wait = new CountDownLatch(1);
    go = wait;
    for (int i = 0; i < threads; i++) {
      pool.executeBlocking(() -> {
        busy.countDown();
        wait.await();
        return null;
      }, false);
    }
    busy.await();
  }

  /** Lets the held threads go. */
  public void release() {
    go.countDown();
  }

  /** Releases the threads and gives up this holder's share of the pool. */
  @Override
  public void close() {
    release();
    pool.close();
  }
}
