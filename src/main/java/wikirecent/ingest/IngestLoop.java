package wikirecent.ingest;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import wikirecent.bus.IngestStatus;
import wikirecent.records.RecordTail;
import wikirecent.retry.Backoff;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ingest's connection life, as an explicit {@link IngestState} machine: connect from the right place
 * ({@link ResumePlanner}), stream, back off and reconnect when a connection ends, stop taking events while the file
 * cannot be written and come back when it can, reopen the path when it names another file. One timer for
 * reconnects, another for disk retries. Event-loop only.
 */
final class IngestLoop {

  private static final Logger log = LoggerFactory.getLogger(IngestLoop.class);
  /** A reconnect shorter than this (a routine 15-minute cut) does not make the part "not live". */
  private static final long LIVE_GRACE_MILLIS = 10_000;
  /** Streaming with nothing complete for half the idle timeout is not live (this long when there is none). */
  private static final long QUIET_MILLIS = 30_000;

  private final Vertx vertx;
  private final IngestSettings settings;
  private final EventPipeline pipeline;
  private final HttpClient client;
  private final WorkerExecutor writerThread;
  private final IngestMeters counters;
  private final ResumePlanner planner;
  private final Backoff backoff;
  private final Backoff diskBackoff;
  private final long quietMillis;

  private volatile IngestState state = IngestState.STARTING; // volatile: the up gauge reads it
  private String detail = "opening the file";
  private volatile StreamSession session; // the up gauge reads it
  private long reconnectTimer = -1;
  private long diskTimer = -1;
  private long serverRetryMillis;
  private volatile long lastActivityAt; // wall clock of the last complete event or heartbeat of an ended connection
  private IOException writeError;

  IngestLoop(Vertx vertx, IngestSettings settings, EventPipeline pipeline, HttpClient client, WorkerExecutor writerThread,
             IngestMeters counters) {
    this.vertx = vertx;
    this.settings = settings;
    this.pipeline = pipeline;
    this.client = client;
    this.writerThread = writerThread;
    this.counters = counters;
    this.planner = new ResumePlanner(settings.maxResumeIdBytes(), settings.backfillMinutes(), Instant::now, counters);
    long base = settings.backoffMillis();
    long cap = settings.backoffMaxMillis();
    this.backoff = new Backoff(base, cap, settings.throttleBackoffMillis(), ThreadLocalRandom.current());
    this.diskBackoff = new Backoff(base, cap, base, ThreadLocalRandom.current());
    this.quietMillis = settings.idleTimeoutMillis() > 0 ? settings.idleTimeoutMillis() / 2 : QUIET_MILLIS;
    pipeline.drainHandler(() -> {
      if (session != null) {
        session.resume();
      }
    });
    pipeline.failureHandler(this::onWriteFailure);
    pipeline.movedHandler(this::onFileMoved);
  }

  /** The file is open: the first connection. */
  void start(EventPipeline.Opened opened) {
    RecordTail.Recovery r = opened.recovery();
    if (r.cutBytes() > 0) {
      log.warn("Cut {} bytes of an incomplete record off the end of {} (an append was interrupted)", r.cutBytes(), settings.path());
    }
    log.info("Appending to {} ({} bytes, {} recent meta.ids loaded); {}", settings.path().toAbsolutePath(), r.size(),
      r.recentIds().size(), r.lastId().isEmpty() ? "no id in it yet" : "resuming from id " + Ids.shown(r.lastId()));
    connect();
  }

  void stop() {
    enter(IngestState.STOPPED, "stopped");
    vertx.cancelTimer(reconnectTimer);
    vertx.cancelTimer(diskTimer);
    closeSession();
  }

  /** The one place the state changes; a transition the diagram does not have is a bug, said loudly but not fatal. */
  private void enter(IngestState next, String why) {
    if (!state.canGo(next)) {
      log.error("Ingest went from {} to {}, which it should not ({}); carrying on", state, next, why);
    }
    state = next;
    detail = why;
  }

  private void connect() {
    reconnectTimer = -1;
    if (state == IngestState.STOPPED) {
      return;
    }
    ResumePoint from = planner.plan(pipeline.lastWrittenId(), pipeline.lastWrittenDt(), pipeline.fileIsEmpty());
    counters.connections.increment();
    StreamSession s = StreamSession.open(vertx, client, new StreamSession.Request(settings.url(), settings.userAgent(), from,
      pipeline.lastWrittenId(), settings.idleTimeoutMillis(), settings.maxEventBytes()), listener(), pipeline::backlogFull);
    session = s;
    enter(IngestState.CONNECTING, "to " + settings.shownUrl() + ", " + from.describe());
    s.connected().onSuccess(status -> {
      if (session == s) {
        planner.connected(from);
        enter(IngestState.STREAMING, "from " + settings.shownUrl());
        log.info("Connected to {} (HTTP {}); {}", settings.shownUrl(), status, from.describe());
      }
    });
    long started = System.currentTimeMillis();
    s.outcome().onSuccess(outcome -> {
      if (session == s) {
        session = null;
      }
      lastActivityAt = Math.max(lastActivityAt, s.lastActivityMillis());
      if (state == IngestState.STOPPED || outcome.end() == StreamSession.End.CLOSED) {
        return; // whoever closed it decides what comes next
      }
      // Resume from what is really in the file: wait for the queued records first.
      pipeline.whenIdle().onComplete(v -> {
        if ((state == IngestState.CONNECTING || state == IngestState.STREAMING) && session == null) {
          reconnectAfter(outcome, from, (System.currentTimeMillis() - started) / 1000);
        }
      });
    });
  }

  private SseParser.Listener listener() {
    return new SseParser.Listener() {
      @Override
      public void onEvent(SseEvent event) {
        pipeline.accept(event);
      }

      @Override
      public void onEvent(String type, String lastEventId, byte[] data, int from, int to) {
        pipeline.accept(type, lastEventId, data, from, to);
      }

      @Override
      public void onRetry(long millis) {
        serverRetryMillis = millis;
      }

      @Override
      public void onOversized(String lastEventId, long bytes, boolean oneLine) {
        pipeline.oversized(lastEventId, bytes, oneLine);
      }

      @Override
      public void onOversizedComment(long bytes) {
        pipeline.oversizedComment(bytes);
      }
    };
  }

  private void reconnectAfter(StreamSession.Outcome outcome, ResumePoint sent, long seconds) {
    String url = settings.shownUrl();
    String from = Ids.shown(pipeline.lastWrittenId());
    int status = outcome.status();
    long delay;
    String why;
    if (outcome.end() == StreamSession.End.REFUSED) {
      counters.httpRefusals.increment();
      if (planner.refused(sent, status, outcome.reason())) {
        delay = backoff.afterFailure(); // the next one starts elsewhere: the planner said why, once
        why = "refused with HTTP " + status + " (" + EventPipeline.excerpt(outcome.reason()) + "), starting elsewhere in " + secs(delay) + " s";
      } else if (status == 429 || status >= 500) {
        delay = backoff.afterThrottle(outcome.retryAfterMillis());
        log.warn("Refused by {} with HTTP {} ({}); backing off {} s", url, status, outcome.reason(), secs(delay));
        why = "refused with HTTP " + status + " (" + EventPipeline.excerpt(outcome.reason()) + "), retrying in " + secs(delay) + " s";
      } else {
        delay = backoff.afterFailure();
        log.error("Refused by {} with HTTP {}: {} (check stream.url and stream.userAgent); backing off {} s",
          url, status, outcome.reason(), secs(delay));
        why = "refused with HTTP " + status + " (" + EventPipeline.excerpt(outcome.reason()) + "), retrying in " + secs(delay) + " s";
      }
    } else if (outcome.events() > 0) {
      // A connection that delivered events: a routine cut (Wikimedia ends every one after 15 minutes).
      backoff.reset();
      diskBackoff.reset();
      if (outcome.end() == StreamSession.End.ENDED) {
        delay = Math.min(serverRetryMillis, settings.backoffMaxMillis()); // 0 unless the server sent retry:
        log.info("Stream cut after {} events ({} s); reconnecting from id {}", outcome.events(), seconds, from);
      } else {
        delay = backoff.afterFailure();
        log.warn("Connection lost after {} events ({} s): {}; reconnecting in {} s from id {}",
          outcome.events(), seconds, outcome.reason(), secs(delay), from);
      }
      why = "reconnecting to " + url;
    } else {
      delay = backoff.afterFailure();
      log.warn("Could not stream from {}: {}; backing off {} s (attempt {})", url, outcome.reason(), secs(delay), backoff.attempts());
      why = "cannot stream from " + url + " (" + outcome.reason() + "), retrying in " + secs(delay) + " s";
    }
    if (outcome.end() == StreamSession.End.IDLE) {
      counters.idleCuts.increment();
    }
    counters.reconnects.increment();
    enter(IngestState.WAITING, why);
    reconnectTimer = vertx.setTimer(Math.max(1, delay), id -> connect());
  }

  private void onWriteFailure(IOException error) {
    stopStreaming();
    writeError = error;
    retryWrites();
  }

  private void onFileMoved(String what) {
    if (state == IngestState.STOPPED) {
      return;
    }
    stopStreaming();
    enter(IngestState.FILE_MOVED, settings.path().toAbsolutePath() + " no longer names the file ingest was writing (" + what
      + "); going on in a new file there from the last event known to be at the path");
    planner.newFile();
    pipeline.open()
      .onSuccess(opened -> {
        if (state == IngestState.FILE_MOVED) {
          log.info("Appending to a new file at {}; {}", settings.path().toAbsolutePath(), opened.carried()
            ? "resuming from id " + Ids.shown(opened.recovery().lastId()) + ", the last one known to be at the path"
            : "resuming from its own last id " + Ids.shown(opened.recovery().lastId()));
          connect();
        }
      })
      .onFailure(e -> {
        if (state == IngestState.FILE_MOVED) {
          writeError = e instanceof IOException io ? io : new IOException(e.getMessage(), e);
          retryWrites();
        }
      });
  }

  private void stopStreaming() {
    closeSession();
    vertx.cancelTimer(reconnectTimer);
    reconnectTimer = -1;
  }

  private void closeSession() {
    if (session != null) {
      StreamSession s = session;
      session = null;
      s.close();
    }
  }

  private void retryWrites() {
    if (state == IngestState.STOPPED) {
      return;
    }
    long delay = diskBackoff.afterThrottle(-1);
    Path path = settings.path().toAbsolutePath();
    enter(IngestState.WRITE_BLOCKED, "cannot write " + path + " (" + writeError.getMessage() + "); stopped taking events, retrying in "
      + secs(delay) + " s");
    log.error("Not taking events: cannot write {} ({}); retrying in {} s", path, writeError.getMessage(), secs(delay));
    diskTimer = vertx.setTimer(delay, id -> {
      diskTimer = -1;
      if (state != IngestState.WRITE_BLOCKED) {
        return;
      }
      writerThread.executeBlocking(this::usableSpace, true)
        .compose(free -> free >= settings.minFreeBytes() ? pipeline.open().map(free)
          : Future.failedFuture(new IOException("only " + (free >> 20) + " MB free on the file's disk, want "
          + (settings.minFreeBytes() >> 20) + " MB (ingest.minFreeMegabytes)")))
        .onSuccess(free -> {
          if (state == IngestState.WRITE_BLOCKED) {
            log.info("{} is writable again ({} MB free); resuming from id {}", settings.path(), free >> 20, Ids.shown(pipeline.lastWrittenId()));
            writeError = null;
            connect();
          }
        })
        .onFailure(e -> {
          writeError = e instanceof IOException io ? io : new IOException(e.getMessage(), e);
          retryWrites();
        });
    });
  }

  private long usableSpace() throws IOException {
    Path path = settings.path();
    Path dir = path.toAbsolutePath().getParent();
    return Files.getFileStore(Files.exists(path) ? path : dir).getUsableSpace();
  }

  /**
   * Live means events can be flowing: streaming with a complete event or heartbeat in the last few seconds, or
   * reconnecting within seconds of one (a routine cut). Also read by the up gauge, from the scraping thread.
   */
  boolean live() {
    long now = System.currentTimeMillis();
    long silent = now - lastActivity();
    return switch (state) {
      // Paused by the disk counts as active (we are the ones not reading), unless the disk itself has stopped.
      case STREAMING -> lastActivity() > 0 && silent < quietMillis && pipeline.writeStalledMillis(now) < quietMillis;
      case CONNECTING, WAITING -> lastActivity() > 0 && silent < LIVE_GRACE_MILLIS;
      default -> false;
    };
  }

  IngestStatus status() {
    String text = detail;
    if (state == IngestState.STREAMING) {
      long activity = lastActivity();
      long silent = System.currentTimeMillis() - activity;
      text = detail + ", " + (long) counters.eventsWritten.count() + " events written, last id " + Ids.shown(pipeline.lastWrittenId());
      long stalled = pipeline.writeStalledMillis(System.currentTimeMillis());
      if (stalled >= quietMillis) {
        text += ", but a write to " + settings.path() + " has not returned for " + stalled / 1000 + " s (the disk?)";
      } else if (!live()) {
        StreamSession s = session;
        long partial = s == null ? 0 : s.partialLineBytes();
        text += ", but no complete event or heartbeat " + (activity > 0 ? "for " + silent / 1000 + " s" : "yet")
          + (partial > 0 ? " (in a line of " + partial + " bytes so far)" : "")
          + (settings.idleTimeoutMillis() > 0 ? "; cut at " + settings.idleTimeoutMillis() / 1000 + " s" : "");
      }
    }
    String lastId = pipeline.lastWrittenId();
    return new IngestStatus(live(), state.label() + ": " + text, lastId == null ? "" : lastId);
  }

  private long lastActivity() {
    StreamSession s = session;
    return Math.max(lastActivityAt, s == null ? 0 : s.lastActivityMillis());
  }

  private static String secs(long millis) {
    return String.format(Locale.ROOT, "%.1f", millis / 1000.0);
  }
}
