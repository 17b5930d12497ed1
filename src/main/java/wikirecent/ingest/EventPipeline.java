package wikirecent.ingest;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import wikirecent.bus.Addresses;
import wikirecent.records.AppendFile;
import wikirecent.records.RecordTail;
import wikirecent.records.RecordBatch;
import wikirecent.records.RecordWriter;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * From parsed events to appended records, on the verticle's event loop: takes what {@link EventFilter} keeps,
 * queues the records for the one writer thread (batches in order, one write call per record), tracks the last id
 * and time written, tells how full the queue is so the stream can be paused, and watches that the path still
 * names the file it writes.
 */
final class EventPipeline {

  private static final Logger log = LoggerFactory.getLogger(EventPipeline.class);
  /** How often the path is checked against the open file (one stat): a rename is noticed within about this. */
  static final long FILE_CHECK_MILLIS = 500;

  /** Settings of the pipeline, from the ingest config. */
  record Settings(Path path, int dedupeWindow, int maxEventBytes, int maxResumeIdBytes, long fsyncMillis, long maxBacklogBytes) {
    /** The longest a torn record at the file's end can be: an id line and a data line at the limit. */
    long maxTornBytes() {
      return 2L * maxEventBytes + 64;
    }
  }

  /**
   * What an open found: the file's own recovery, or, for a new file that took the place of the one written
   * before, what that one held when the path last named it ({@code carried}).
   */
  record Opened(RecordTail.Recovery recovery, boolean carried) {
  }

  private final Vertx vertx;
  private final WorkerExecutor writerThread;
  private final AppendFile.Opener opener;
  private final Settings settings;
  private final IngestMeters counters;
  private final EventFilter filter;
  private final LogThrottle repairLog = new LogThrottle(10_000);
  private final EventFilter.Sink sink = this::enqueue;

  private RecordWriter writer;
  /** What a moved file's successor goes on from, until it opens (writer thread only: opens run there in turn). */
  private RecordTail.Recovery carry;
  private Future<?> opening = Future.succeededFuture();
  private boolean closed;
  private boolean accepting;
  private String lastWrittenId = "";
  private String lastWrittenDt;
  private long fileSize;

  private RecordBatch pending = new RecordBatch();
  private RecordBatch spare = new RecordBatch(); // the batch last written, filled again next: no array per record
  private List<String> pendingIds = new ArrayList<>();
  private List<String> pendingDts = new ArrayList<>();
  private volatile long backlogBytes; // also read by the queued-bytes gauge, from the scraping thread
  /** When the write under way went to the writer thread (wall clock ms), 0 if none: a disk that hangs shows as its age. */
  private volatile long writingSince; // also read by the up gauge (IngestLoop.live), from the scraping thread
  private boolean syncing;
  private boolean checking;
  private IOException failAfterWrite; // an fsync failed while a batch was being written
  private final List<Promise<Void>> idleWaiters = new ArrayList<>();
  private long syncTimer = -1;
  private long checkTimer = -1;

  private Runnable drainHandler = () -> { };
  private Consumer<IOException> failureHandler = e -> { };
  private Consumer<String> movedHandler = why -> { };

  EventPipeline(Vertx vertx, WorkerExecutor writerThread, AppendFile.Opener opener, Settings settings, IngestMeters counters) {
    this.vertx = vertx;
    this.writerThread = writerThread;
    this.opener = opener;
    this.settings = settings;
    this.counters = counters;
    this.filter = new EventFilter(settings, counters);
  }

  /** Called when the queue has drained below half its limit (resume the stream). */
  void drainHandler(Runnable handler) {
    this.drainHandler = handler;
  }

  /** Called once per write failure, after the partial record was cut off; events are refused until {@link #open()}. */
  void failureHandler(Consumer<IOException> handler) {
    this.failureHandler = handler;
  }

  /** Called once the path no longer names the file being written; events are refused until {@link #open()}. */
  void movedHandler(Consumer<String> handler) {
    this.movedHandler = handler;
  }

  /**
   * (Re)opens the file at the path: cuts a torn tail, loads the resume id and time and the recent
   * {@code meta.id}s. Also the way back after a write failure or a move, so the dedupe window is again exactly
   * what is known to be at the path. When the path names another file than the one written so far and that file
   * is empty, it goes on from what the old one held when the path last named it; events written to the old file
   * after that come again from the feed, into the new one ({@link RecordWriter#closeForReopen}); an open that fails
   * keeps that for the next.
   */
  Future<Opened> open() {
    if (closed) {
      return Future.failedFuture("closed");
    }
    RecordWriter old = writer;
    writer = null;
    accepting = false;
    Future<RecordWriter> opened = writerThread.executeBlocking(() -> {
      if (old != null) {
        carry = old.closeForReopen();
      }
      RecordWriter w = RecordWriter.open(settings.path(), opener, settings.dedupeWindow(), settings.maxTornBytes(),
        settings.fsyncMillis(), System::currentTimeMillis, EventPipeline::meta, carry);
      carry = null; // kept while opens fail: the file that replaced a moved one still goes on from it
      return w;
    }, true);
    opening = opened;
    return opened.map(w -> {
      writer = w;
      RecordTail.Recovery r = w.recovery();
      filter.reset(r.recentIds());
      lastWrittenId = r.lastId();
      lastWrittenDt = r.lastDt();
      fileSize = r.size();
      counters.fileBytes.set(fileSize);
      counters.tornBytesCut.increment(r.cutBytes());
      accepting = true;
      return new Opened(r, w.carried());
    });
  }

  /** Starts the periodic fsync (when {@code ingest.fsyncMillis} > 0) and the check that the path names the file. */
  void watch() {
    if (settings.fsyncMillis() > 0) {
      syncTimer = vertx.setPeriodic(settings.fsyncMillis(), id -> syncIfDirty());
    }
    checkTimer = vertx.setPeriodic(FILE_CHECK_MILLIS, id -> checkFile());
  }

  /** The id of the last record in the file: where a reconnect resumes. */
  String lastWrittenId() {
    return lastWrittenId;
  }

  /** The {@code meta.dt} of the last event written that has one (null if none): where to resume by time. */
  String lastWrittenDt() {
    return lastWrittenDt;
  }

  /** True while the file holds nothing. */
  boolean fileIsEmpty() {
    return fileSize == 0;
  }

  /** Bytes of records queued or being written: what back-pressure counts. */
  long backlogBytes() {
    return backlogBytes;
  }

  boolean backlogFull() {
    return backlogBytes > settings.maxBacklogBytes();
  }

  void accept(SseEvent event) {
    if (accepting) { // after a write failure or a move, events come again once the stream resumes
      filter.take(event, sink);
    }
  }

  /** The same for an event whose data is {@code data[from, to)}, valid during the call only. */
  void accept(String type, String lastEventId, byte[] data, int from, int to) {
    if (accepting) {
      filter.take(type, lastEventId, data, from, to, sink);
    }
  }

  /** An event being dropped as it comes, because one line of it ({@code oneLine}) or its data passed the limit. */
  void oversized(String lastEventId, long bytes, boolean oneLine) {
    filter.oversized(lastEventId, bytes, oneLine);
  }

  void oversizedComment(long bytes) {
    filter.oversizedComment(bytes);
  }

  private void enqueue(String id, String dt, byte[] data, int off, int len) {
    backlogBytes += pending.add(id, data, off, len);
    pendingIds.add(id);
    pendingDts.add(dt);
    if (!writing()) {
      flush();
    }
  }

  private void flush() {
    RecordBatch batch = pending;
    List<String> ids = pendingIds;
    List<String> dts = pendingDts;
    pending = spare;
    spare = null;
    pendingIds = new ArrayList<>();
    pendingDts = new ArrayList<>();
    writingSince = System.currentTimeMillis();
    RecordWriter w = writer;
    writerThread.<RecordWriter.Result>executeBlocking(() -> w.append(batch), true)
      .onComplete(ar -> written(batch, ids, dts, ar.succeeded() ? ar.result()
        : new RecordWriter.Result(0, w.size(), 0, false, new IOException("append failed", ar.cause()))));
  }

  private void written(RecordBatch batch, List<String> ids, List<String> dts, RecordWriter.Result result) {
    writingSince = 0;
    backlogBytes -= batch.size();
    batch.clear();
    spare = batch;
    counters.eventsWritten.increment(result.written());
    counters.bytesWritten.increment(result.bytes());
    if (result.repaired()) {
      counters.recordsRepaired.increment();
    }
    if (result.repaired() && repairLog.admit(System.currentTimeMillis()) >= 0) {
      log.warn("{} had changed size behind ingest's back (cut short or written by someone else): its next records start on "
        + "a record boundary, so a damaged record stays one of its own that readers skip", settings.path().toAbsolutePath());
    }
    fileSize = result.size();
    counters.fileBytes.set(fileSize);
    if (result.written() > 0) {
      lastWrittenId = ids.get(result.written() - 1);
      for (int i = result.written() - 1; i >= 0; i--) {
        if (dts.get(i) != null) {
          lastWrittenDt = dts.get(i);
          break;
        }
      }
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

  /** Stops taking events and drops the queue (it comes again from the feed). Only while no batch is being written. */
  private int stopTaking() {
    accepting = false;
    backlogBytes -= pending.size();
    int dropped = pending.count();
    pending.clear();
    pendingIds = new ArrayList<>();
    pendingDts = new ArrayList<>();
    return dropped;
  }

  private void fail(IOException error) {
    counters.writeFailures.increment();
    int dropped = stopTaking();
    log.error("Could not append to {}: {}. Stopped taking events; the file ends with the last complete record "
        + "(id {}), {} queued events will be fetched again", settings.path().toAbsolutePath(), error.toString(),
      Ids.shown(lastWrittenId), dropped, error);
    idle();
    failureHandler.accept(error);
  }

  /** fsync now if something was written since the last one (the {@code ingest.fsyncMillis} timer). */
  void syncIfDirty() {
    RecordWriter w = writer;
    if (w == null || !accepting || syncing) {
      return; // one at a time: a hung fsync must not gather one more behind it every period
    }
    syncing = true;
    writerThread.<Void>executeBlocking(() -> {
      w.syncIfDirty();
      return null;
    }, true).onComplete(ar -> syncing = false).onFailure(e -> {
      if (accepting && writer == w) {
        IOException error = e instanceof IOException io ? io : new IOException("fsync failed", e);
        if (writing()) {
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

  private boolean writing() {
    return writingSince != 0;
  }

  /** How long the write under way has not returned (ms), 0 if none is. */
  long writeStalledMillis(long now) {
    return writing() ? Math.max(0, now - writingSince) : 0;
  }

  /** Does the path still name the file being written? (Between batches, on the writer thread.) */
  private void checkFile() {
    RecordWriter w = writer;
    if (w == null || !accepting || checking) {
      return;
    }
    checking = true;
    writerThread.executeBlocking(w::checkPath, true).onComplete(ar -> {
      checking = false;
      if (ar.succeeded() && ar.result() != null && writer == w && accepting) {
        moved(ar.result());
      } else if (ar.failed()) {
        log.debug("Could not look at {}: {}", settings.path(), ar.cause().toString());
      }
    });
  }

  private void moved(String what) {
    counters.filesMoved.increment();
    int dropped = stopTaking();
    log.warn("{} no longer names the file ingest was writing ({}: renamed or deleted). Going on in a new file at that path "
        + "from the last event known to be there; events written to the old file since ({} queued too) come again from "
        + "the feed, into the new file", settings.path().toAbsolutePath(), what, dropped);
    whenIdle().onComplete(v -> movedHandler.accept(what));
  }

  /** Completes when everything queued so far is written (or failed). */
  Future<Void> whenIdle() {
    if (!writing() && pending.isEmpty()) {
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
    vertx.cancelTimer(syncTimer);
    vertx.cancelTimer(checkTimer);
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
    EventJson.Inspection i = EventJson.inspect(data);
    return new RecordTail.Meta(i.metaId(), i.metaDt());
  }

  static String excerpt(String s) {
    String oneLine = s.replace('\n', ' ').replace('\r', ' ');
    return oneLine.length() <= 200 ? oneLine : oneLine.substring(0, 200) + "...";
  }
}
