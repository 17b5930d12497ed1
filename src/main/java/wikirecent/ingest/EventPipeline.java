package wikirecent.ingest;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import wikirecent.bus.Addresses;
import wikirecent.records.AppendFile;
import wikirecent.records.RecordFormat;
import wikirecent.records.RecordTail;
import wikirecent.records.RecordWriter;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * From parsed events to appended records, on the verticle's event loop: drops canaries, data that is not a JSON
 * object PostgreSQL's jsonb accepts ({@link EventJson}) and re-delivered {@code meta.id}s, queues records for the
 * one writer thread (batches in order, one write call per record), tracks the last id written and tells how full
 * the queue is so the stream can be paused.
 */
final class EventPipeline {

  private static final Logger log = LoggerFactory.getLogger(EventPipeline.class);

  /** Settings of the pipeline, from the ingest config. */
  record Settings(Path path, int dedupeWindow, long maxTornBytes, long fsyncMillis, long maxBacklogBytes) {
  }

  private final Vertx vertx;
  private final WorkerExecutor writerThread;
  private final AppendFile.Opener opener;
  private final Settings settings;
  private final IngestCounters counters;
  private final LogThrottle invalidLog = new LogThrottle(10_000);
  private final LogThrottle errorLog = new LogThrottle(10_000);

  private RecordWriter writer;
  private Future<RecordWriter> opening = Future.succeededFuture();
  private boolean closed;
  private RecentIds recentIds;
  private boolean accepting;
  private String lastWrittenId = "";

  private List<byte[]> pending = new ArrayList<>();
  private List<String> pendingIds = new ArrayList<>();
  private long backlogBytes;
  private boolean writing;
  private IOException failAfterWrite; // an fsync failed while a batch was being written
  private final List<Promise<Void>> idleWaiters = new ArrayList<>();

  private Runnable drainHandler = () -> { };
  private Consumer<IOException> failureHandler = e -> { };

  EventPipeline(Vertx vertx, WorkerExecutor writerThread, AppendFile.Opener opener, Settings settings, IngestCounters counters) {
    this.vertx = vertx;
    this.writerThread = writerThread;
    this.opener = opener;
    this.settings = settings;
    this.counters = counters;
  }

  /** Called when the queue has drained below half its limit (resume the stream). */
  void drainHandler(Runnable handler) {
    this.drainHandler = handler;
  }

  /** Called once per write failure, after the partial record was cut off; events are refused until {@link #open()}. */
  void failureHandler(Consumer<IOException> handler) {
    this.failureHandler = handler;
  }

  /**
   * (Re)opens the file: cuts a torn tail, loads the resume id and the recent {@code meta.id}s. Also the way
   * back after a write failure, so the dedupe window is again exactly what the file holds.
   */
  Future<RecordTail.Recovery> open() {
    if (closed) {
      return Future.failedFuture("closed");
    }
    RecordWriter old = writer;
    writer = null;
    accepting = false;
    Future<RecordWriter> opened = writerThread.executeBlocking(() -> {
      if (old != null) {
        old.close(false);
      }
      return RecordWriter.open(settings.path(), opener, settings.dedupeWindow(), settings.maxTornBytes(),
        settings.fsyncMillis(), System::currentTimeMillis, EventPipeline::meta);
    }, true);
    opening = opened;
    return opened.map(w -> {
      writer = w;
      RecordTail.Recovery r = w.recovery();
      recentIds = new RecentIds(settings.dedupeWindow());
      r.recentIds().forEach(recentIds::add);
      lastWrittenId = r.lastId();
      counters.fileBytes = r.size();
      counters.tornBytesCut += r.cutBytes();
      accepting = true;
      return r;
    });
  }

  /** The id of the last record in the file: where a reconnect resumes. */
  String lastWrittenId() {
    return lastWrittenId;
  }

  /** Bytes of records queued or being written: what back-pressure counts. */
  long backlogBytes() {
    return backlogBytes;
  }

  boolean backlogFull() {
    return backlogBytes > settings.maxBacklogBytes();
  }

  void accept(SseEvent event) {
    if (!accepting) {
      return; // after a write failure: these come again when the stream resumes from the last id written
    }
    if (!event.isMessage()) {
      otherEvent(event);
      return;
    }
    EventJson.Inspection inspection = EventJson.inspect(event.data());
    switch (inspection.kind()) {
      case INVALID -> skipInvalid(event.lastEventId(), inspection.reason(), event.dataAsString());
      case CANARY -> counters.canariesDropped++;
      case EVENT -> {
        String metaId = inspection.metaId();
        if (metaId == null) {
          counters.eventsWithoutMetaId++;
        } else if (!recentIds.add(metaId)) {
          counters.duplicatesDropped++;
          return;
        }
        enqueue(event.lastEventId(), RecordFormat.record(event.lastEventId(), inspection.line()));
      }
    }
  }

  void oversized(String lastEventId, long bytes) {
    counters.eventsOversized++;
    skipInvalid(lastEventId, "longer than the limit", "(" + bytes + " bytes)");
  }

  private void otherEvent(SseEvent event) {
    if ("error".equals(event.type())) {
      counters.errorEvents++;
      long suppressed = errorLog.admit(System.currentTimeMillis());
      if (suppressed >= 0) {
        log.warn("The stream sent an error event: {}{}", excerpt(event.dataAsString()), more(suppressed));
      }
    } else {
      counters.otherEvents++;
      log.debug("Ignored an event of type {}", event.type());
    }
  }

  private void skipInvalid(String id, String reason, String data) {
    counters.eventsSkippedInvalid++;
    long suppressed = invalidLog.admit(System.currentTimeMillis());
    if (suppressed >= 0) {
      log.warn("Skipped an event whose data is not one JSON object PostgreSQL's jsonb accepts ({}), id {}: {}{}", reason, id,
        excerpt(data), more(suppressed));
    }
  }

  private void enqueue(String id, byte[] record) {
    pending.add(record);
    pendingIds.add(id);
    backlogBytes += record.length;
    if (!writing) {
      flush();
    }
  }

  private void flush() {
    List<byte[]> batch = pending;
    List<String> ids = pendingIds;
    pending = new ArrayList<>();
    pendingIds = new ArrayList<>();
    writing = true;
    RecordWriter w = writer;
    writerThread.<RecordWriter.Result>executeBlocking(() -> w.append(batch), true)
      .onComplete(ar -> written(batch, ids, ar.succeeded() ? ar.result()
        : new RecordWriter.Result(0, w.size(), 0, new IOException("append failed", ar.cause()))));
  }

  private void written(List<byte[]> batch, List<String> ids, RecordWriter.Result result) {
    writing = false;
    for (byte[] record : batch) {
      backlogBytes -= record.length;
    }
    counters.eventsWritten += result.written();
    counters.bytesWritten += result.bytes();
    counters.fileBytes = result.size();
    if (result.written() > 0) {
      lastWrittenId = ids.get(result.written() - 1);
      vertx.eventBus().publish(Addresses.FILE_APPENDED, result.size());
    }
    IOException error = result.error() != null ? result.error() : failAfterWrite;
    failAfterWrite = null;
    if (error != null) {
      fail(error);
      return;
    }
    if (!pending.isEmpty()) {
      flush();
    } else {
      idle();
    }
    if (backlogBytes <= settings.maxBacklogBytes() / 2) {
      drainHandler.run();
    }
  }

  /** Stops taking events and drops the queue. Only while no batch is being written: its bytes are still counted. */
  private void fail(IOException error) {
    accepting = false;
    counters.writeFailures++;
    for (byte[] record : pending) {
      backlogBytes -= record.length;
    }
    int dropped = pending.size();
    pending = new ArrayList<>();
    pendingIds = new ArrayList<>();
    log.error("Could not append to {}: {}. Stopped taking events; the file ends with the last complete record "
        + "(id {}), {} queued events will be fetched again", settings.path().toAbsolutePath(), error.toString(),
      lastWrittenId, dropped, error);
    idle();
    failureHandler.accept(error);
  }

  /** fsync now if something was written since the last one (the {@code ingest.fsyncMillis} timer). */
  void syncIfDirty() {
    RecordWriter w = writer;
    if (w == null || !accepting) {
      return;
    }
    writerThread.<Void>executeBlocking(() -> {
      w.syncIfDirty();
      return null;
    }, true).onFailure(e -> {
      if (accepting && writer == w) {
        IOException error = e instanceof IOException io ? io : new IOException("fsync failed", e);
        if (writing) {
          // The batch after this fsync is on the writer thread: fail once it is back, so its bytes leave the
          // back-pressure count and whoever waits for idle sees it written or cut. Take nothing new meanwhile.
          accepting = false;
          failAfterWrite = error;
        } else {
          fail(error);
        }
      }
    });
  }

  /** Completes when everything queued so far is written (or failed). */
  Future<Void> whenIdle() {
    if (!writing && pending.isEmpty()) {
      return Future.succeededFuture();
    }
    Promise<Void> p = Promise.promise();
    idleWaiters.add(p);
    return p.future();
  }

  private void idle() {
    List<Promise<Void>> waiters = new ArrayList<>(idleWaiters);
    idleWaiters.clear();
    waiters.forEach(Promise::tryComplete);
  }

  /** Writes what is queued, then closes the file ({@code sync}: fsync first). */
  Future<Void> close(boolean sync) {
    closed = true;
    // an open still running (a retry after a write failure) finishes first, so its file is closed too
    return opening.transform(ar -> whenIdle()).compose(v -> {
      RecordWriter w = writer;
      writer = null;
      accepting = false;
      if (w == null) {
        return Future.succeededFuture();
      }
      return writerThread.executeBlocking(() -> {
        w.close(sync);
        return null;
      }, true);
    });
  }

  /** What the file's records say for dedupe and resume: read with the same check as the stream's events. */
  static RecordTail.Meta meta(byte[] data) {
    return new RecordTail.Meta(EventJson.inspect(data).metaId(), null);
  }

  private static String more(long suppressed) {
    return suppressed > 0 ? " (and " + suppressed + " more since the last such line)" : "";
  }

  static String excerpt(String s) {
    String oneLine = s.replace('\n', ' ').replace('\r', ' ');
    return oneLine.length() <= 200 ? oneLine : oneLine.substring(0, 200) + "...";
  }
}
