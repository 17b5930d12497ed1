package wikirecent.web;

import io.vertx.core.Future;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waiting in tests: for a condition (polled, generous timeout) or a future. Never a fixed sleep as an assertion. */
public final class Wait {

  public static final Duration LONG = Duration.ofSeconds(30);

  private Wait() {
  }

  public static void until(String what, BooleanSupplier condition) {
    until(what, LONG, condition, () -> "");
  }

  public static void until(String what, Duration timeout, BooleanSupplier condition, Supplier<String> state) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("Timed out after " + timeout.toSeconds() + " s waiting until " + what + ". " + state.get());
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting until " + what);
      }
    }
  }

  public static <T> T on(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(LONG.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("future failed or timed out: " + e, e);
    }
  }
}
