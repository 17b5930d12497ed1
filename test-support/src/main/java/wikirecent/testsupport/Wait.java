package wikirecent.testsupport;

import io.vertx.core.Future;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Waiting in tests, always bounded: until a condition holds (polled) or a future completes. Never a fixed
 * sleep as an assertion. A timeout is an {@link AssertionError} that says what was awaited.
 */
public final class Wait {

  /** The usual patience: generous, for a shared and noisy machine. */
  public static final Duration LONG = Duration.ofSeconds(30);

  private static final long POLL_MILLIS = 20;

  /** A condition to poll; it may throw (an error or unchecked exception ends the wait as is, a checked one as a failure). */
  @FunctionalInterface
  public interface Condition {
    boolean holds() throws Exception;
  }

  private Wait() {
  }

  public static void until(String what, Condition condition) {
    until(what, LONG, condition, () -> "");
  }

  public static void until(String what, Duration timeout, Condition condition) {
    until(what, timeout, condition, () -> "");
  }

  /** Polls {@code condition} until it holds; after {@code timeout}, fails naming {@code what} and the {@code state}. */
  public static void until(String what, Duration timeout, Condition condition, Supplier<String> state) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!check(what, condition)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("Timed out after " + timeout.toSeconds() + " s waiting until " + what + ". " + state.get());
      }
      try {
        Thread.sleep(POLL_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting until " + what);
      }
    }
  }

  private static boolean check(String what, Condition condition) {
    try {
      return condition.holds();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new AssertionError("checking whether " + what + ": " + e, e);
    }
  }

  /** The future's result, waited for up to {@link #LONG}. */
  public static <T> T on(Future<T> future) {
    return on(future, LONG);
  }

  /** The future's result; an {@link AssertionError} if it fails (with its cause) or is not done within {@code timeout}. */
  public static <T> T on(Future<T> future, Duration timeout) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new AssertionError("future failed: " + cause, cause);
    } catch (TimeoutException e) {
      throw new AssertionError("future not done within " + timeout.toSeconds() + " s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted waiting for a future", e);
    }
  }
}
