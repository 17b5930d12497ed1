package wikirecent.ingest;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.records.RecordFormat;

import wikirecent.records.AppendFile;
import wikirecent.records.ChannelAppendFile;
import wikirecent.records.ForwardingAppendFile;
import wikirecent.testsupport.Wait;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The pipeline's queue accounting when the disk fails at awkward moments, over the real file behind the AppendFile seam. */
@ExtendWith(VertxExtension.class)
class EventPipelineTest {

  private static final long TIMEOUT_SECONDS = 60;

  @TempDir
  Path dir;

  /** The real file; the test can hold the next fsync and make it fail, and hold the next append. */
  private static final class GatedFile extends ForwardingAppendFile {
    volatile boolean holdForce;
    volatile boolean failForce;
    volatile boolean holdAppend;
    final CountDownLatch forceEntered = new CountDownLatch(1);
    final CountDownLatch releaseForce = new CountDownLatch(1);
    final CountDownLatch appendEntered = new CountDownLatch(1);
    final CountDownLatch releaseAppend = new CountDownLatch(1);

    GatedFile() {
      super(null); // opened by the pipeline, through open()
    }

    AppendFile open(Path path) throws IOException {
      real = ChannelAppendFile.open(path);
      return this;
    }

    @Override
    public void append(ByteBuffer record) throws IOException {
      if (holdAppend) {
        appendEntered.countDown();
        await(releaseAppend);
      }
      real.append(record);
    }

    @Override
    public void force() throws IOException {
      if (holdForce) {
        forceEntered.countDown();
        await(releaseForce);
      }
      if (failForce) {
        failForce = false;
        throw new IOException("Input/output error");
      }
      real.force();
    }

    private static void await(CountDownLatch latch) throws IOException {
      try {
        if (!latch.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
          throw new IOException("the test never released the file");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
    }
  }

  private static SseEvent event(int n) {
    String data = "{\"meta\":{\"id\":\"m" + n + "\",\"domain\":\"en.wikipedia.org\"},\"user\":\"u" + n + "\"}";
    return new SseEvent(SseEvent.MESSAGE, "[{\"offset\":" + n + "}]", data.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] recordOf(int n) {
    SseEvent e = event(n);
    return RecordFormat.record(e.lastEventId(), e.data());
  }

  private static byte[] records(int... ns) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int n : ns) {
      out.writeBytes(recordOf(n));
    }
    return out.toByteArray();
  }

  /** What the test looks at, read on the pipeline's context. */
  private record State(int failures, boolean idle, long backlogBytes) {
    static State of(EventPipeline p, List<IOException> failures, Future<Void> idle) {
      return new State(failures.size(), idle.isComplete(), p.backlogBytes());
    }
  }

  /** Runs {@code c} on the pipeline's context (where it lives) and returns what it returned. */
  private static <T> T on(Context ctx, Callable<T> c) throws Exception {
    CompletableFuture<T> result = new CompletableFuture<>();
    ctx.runOnContext(v -> {
      try {
        result.complete(c.call());
      } catch (Throwable t) {
        result.completeExceptionally(t);
      }
    });
    return result.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  private static <T> T completed(Future<T> f) {
    return Wait.on(f, Duration.ofSeconds(TIMEOUT_SECONDS));
  }

  @Test
  void anFsyncFailureWhileABatchIsBeingWrittenTakesEffectOnceTheBatchIsBack(Vertx vertx) throws Exception {
    Path path = dir.resolve("recentchanges");
    GatedFile file = new GatedFile();
    WorkerExecutor writerThread = vertx.createSharedWorkerExecutor("pipeline-test-writer", 1);
    Context ctx = vertx.getOrCreateContext();
    IngestMeters counters = new IngestMeters(new SimpleMeterRegistry());
    // fsync only when asked (the verticle's ingest.fsyncMillis timer), never inside an append
    EventPipeline.Settings settings = new EventPipeline.Settings(path, 100, (1 << 19) - 32, 4096, 3_600_000, 1 << 20);
    List<IOException> failures = new CopyOnWriteArrayList<>();
    EventPipeline pipeline = on(ctx, () -> {
      EventPipeline p = new EventPipeline(vertx, writerThread, file::open, settings, counters);
      p.failureHandler(failures::add);
      return p;
    });
    try {
      completed(on(ctx, pipeline::open));
      on(ctx, () -> {
        pipeline.accept(event(1));
        return null;
      });
      completed(on(ctx, pipeline::whenIdle));

      // The timer's fsync starts and hangs on a sick disk; meanwhile event 2 is queued behind it.
      file.holdForce = true;
      file.failForce = true;
      on(ctx, () -> {
        pipeline.syncIfDirty();
        return null;
      });
      assertThat(file.forceEntered.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
      file.holdAppend = true;
      Future<Void> idle = on(ctx, () -> {
        pipeline.accept(event(2));
        return pipeline.whenIdle();
      });
      long queued = recordOf(2).length;
      assertThat(on(ctx, pipeline::backlogBytes)).isEqualTo(queued);

      // The fsync fails; the writer thread goes on to append event 2 and is held there. The fsync's failure was
      // handed to the event loop before that append began, so by the time this check runs there it has been seen.
      file.releaseForce.countDown();
      assertThat(file.appendEntered.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
      State during = on(ctx, () -> {
        pipeline.accept(event(3)); // not taken: the disk is known to be in trouble
        return State.of(pipeline, failures, idle);
      });
      assertThat(during.failures()).as("no failure reported while a batch is on the writer thread").isZero();
      assertThat(during.idle()).as("not idle while a batch is being written").isFalse();
      assertThat(during.backlogBytes()).as("the batch being written still counts").isEqualTo(queued);

      file.releaseAppend.countDown();
      completed(idle);
      State after = on(ctx, () -> State.of(pipeline, failures, idle));
      assertThat(after.failures()).isEqualTo(1);
      assertThat(failures.get(0)).hasMessage("Input/output error");
      assertThat(after.backlogBytes()).isZero();
      assertThat(counters.writeFailures.count()).isEqualTo(1);
      assertThat(on(ctx, pipeline::lastWrittenId)).isEqualTo(event(2).lastEventId());
      assertThat(Files.readAllBytes(path)).isEqualTo(records(1, 2));

      // Back after the failure: the queue count starts from zero again, and the file from what the last good fsync
      // left (none here: events 1 and 2 are not known to be on disk, and the feed sends them again).
      file.holdForce = false;
      file.holdAppend = false;
      completed(on(ctx, pipeline::open));
      assertThat(Files.readAllBytes(path)).isEmpty();
      assertThat(on(ctx, pipeline::fileIsEmpty)).isTrue();
      on(ctx, () -> {
        pipeline.accept(event(3));
        return null;
      });
      completed(on(ctx, pipeline::whenIdle));
      assertThat(on(ctx, pipeline::backlogBytes)).isZero();
      assertThat(Files.readAllBytes(path)).isEqualTo(records(3));
    } finally {
      file.releaseForce.countDown(); // never leave the writer thread held when an assertion failed
      file.releaseAppend.countDown();
    }
    completed(on(ctx, () -> pipeline.close(false)));
    writerThread.close();
  }
}
