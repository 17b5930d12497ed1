package wikirecent.ingest;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import wikirecent.bus.Addresses;
import wikirecent.retry.Backoff;
import wikirecent.config.Config;
import wikirecent.records.AppendFile;
import wikirecent.records.ChannelAppendFile;
import wikirecent.records.RecordTail;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The ingest part: streams the recent-change SSE feed into {@code <data.dir>/recentchanges}, one record per
 * event, exactly once. Resumes from the file's last id (Last-Event-ID), reconnects with back-off, stops taking
 * events while the file cannot be written and comes back when it can.
 */
public class IngestVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(IngestVerticle.class);
  /** A reconnect shorter than this (a routine 15-minute cut) does not make the part "not live". */
  private static final long LIVE_GRACE_MILLIS = 10_000;

  private final AppendFile.Opener opener;
  private final HttpClientOptions clientOptions;

  private String url;
  private String userAgent;
  private long idleTimeoutMillis;
  private int maxEventBytes;
  private long minFreeBytes;
  private Path path;
  private long fsyncMillis;
  private long backoffMaxMillis;

  private final IngestCounters counters = new IngestCounters();
  private WorkerExecutor writerThread;
  private EventPipeline pipeline;
  private HttpClient client;
  private Backoff backoff;
  private Backoff diskBackoff;
  private StreamSession session;
  private long serverRetryMillis;
  private long timer = -1;
  private long syncTimer = -1;
  private boolean stopping;
  private boolean streaming;
  private long disconnectedAt;
  private String detail = "starting";
  private IOException writeError;

  public IngestVerticle() {
    this(ChannelAppendFile::open, new HttpClientOptions());
  }

  /** For tests: a seam around the data file, and client options (e.g. to trust a test certificate). */
  IngestVerticle(AppendFile.Opener opener, HttpClientOptions clientOptions) {
    this.opener = opener;
    this.clientOptions = clientOptions;
  }

  @Override
  public Future<?> start() {
    Config config = Config.of(config());
    url = config.string(Config.STREAM_URL);
    if (!isHttpUrl(url)) {
      return Future.failedFuture(new IllegalArgumentException("stream.url must be an http:// or https:// URL, not '" + url + "'"));
    }
    userAgent = config.string(Config.STREAM_USER_AGENT);
    idleTimeoutMillis = config.longValue(Config.STREAM_IDLE_TIMEOUT_SECONDS) * 1000;
    maxEventBytes = config.integer(Config.INGEST_MAX_EVENT_BYTES);
    minFreeBytes = config.longValue(Config.INGEST_MIN_FREE_MEGABYTES) << 20;
    path = config.recentChangesFile();
    fsyncMillis = config.longValue(Config.INGEST_FSYNC_MILLIS);
    long base = config.longValue(Config.INGEST_BACKOFF_MILLIS);
    long cap = config.longValue(Config.INGEST_BACKOFF_MAX_MILLIS);
    backoffMaxMillis = cap;
    backoff = new Backoff(base, cap, config.longValue(Config.INGEST_THROTTLE_BACKOFF_MILLIS), ThreadLocalRandom.current());
    diskBackoff = new Backoff(base, cap, base, ThreadLocalRandom.current());

    writerThread = vertx.createSharedWorkerExecutor("wikirecent-ingest-writer-" + deploymentID(), 1);
    pipeline = new EventPipeline(vertx, writerThread, opener, new EventPipeline.Settings(path,
      config.integer(Config.INGEST_DEDUPE_WINDOW), 2L * maxEventBytes + 64, fsyncMillis,
      config.longValue(Config.INGEST_MAX_QUEUED_BYTES)), counters);
    pipeline.drainHandler(() -> {
      if (session != null) {
        session.resume();
      }
    });
    pipeline.failureHandler(this::onWriteFailure);
    // No read-idle timeout on the connection: it would fire while the response is paused for back-pressure.
    // StreamSession watches for silence itself, only while it reads.
    client = vertx.createHttpClient(new HttpClientOptions(clientOptions));
    if (fsyncMillis > 0) {
      syncTimer = vertx.setPeriodic(fsyncMillis, id -> pipeline.syncIfDirty());
    }
    return pipeline.open()
      .onSuccess(this::logOpened)
      .compose(r -> vertx.eventBus().<JsonObject>consumer(Addresses.STATUS_INGEST, m -> m.reply(status())).completion())
      .onSuccess(v -> connect());
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    vertx.cancelTimer(timer);
    vertx.cancelTimer(syncTimer);
    if (session != null) {
      session.close();
    }
    return pipeline.close(fsyncMillis >= 0) // -1: the OS decides, even at a clean stop
      .onSuccess(v -> log.info("Stopped; {} ends with id {}", path, pipeline.lastWrittenId()))
      .eventually(() -> client.close())
      .eventually(() -> writerThread.close());
  }

  private void logOpened(RecordTail.Recovery r) {
    if (r.cutBytes() > 0) {
      log.warn("Cut {} bytes of an incomplete record off the end of {} (an append was interrupted)", r.cutBytes(), path);
    }
    log.info("Appending to {} ({} bytes, {} recent meta.ids loaded); {}", path.toAbsolutePath(), r.size(),
      r.recentIds().size(), r.lastId().isEmpty() ? "no id in it yet, starting from the live edge" : "resuming from id " + r.lastId());
  }

  private void connect() {
    timer = -1;
    if (stopping) {
      return;
    }
    String resumeFrom = pipeline.lastWrittenId();
    counters.connections++;
    StreamSession s = StreamSession.open(vertx, client, url, userAgent, resumeFrom, idleTimeoutMillis, maxEventBytes,
      new SseParser.Listener() {
        @Override
        public void onEvent(SseEvent event) {
          pipeline.accept(event);
        }

        @Override
        public void onRetry(long millis) {
          serverRetryMillis = millis;
        }

        @Override
        public void onOversized(String lastEventId, long bytes) {
          pipeline.oversized(lastEventId, bytes);
        }
      }, pipeline::backlogFull);
    session = s;
    detail = "connecting to " + url;
    s.connected().onSuccess(status -> {
      streaming = true;
      detail = "streaming from " + url;
      log.info("Connected to {} (HTTP {}); {}", url, status,
        resumeFrom.isEmpty() ? "no Last-Event-ID, starting from the live edge" : "resumed from id " + resumeFrom);
    });
    long started = System.currentTimeMillis();
    s.outcome().onSuccess(outcome -> {
      if (session == s) {
        session = null;
      }
      if (streaming) {
        disconnectedAt = System.currentTimeMillis();
      }
      streaming = false;
      if (stopping || outcome.end() == StreamSession.End.CLOSED) {
        return; // whoever closed it decides what comes next
      }
      // Resume from what is really in the file: wait for the queued records first.
      pipeline.whenIdle().onComplete(v -> {
        if (!stopping && writeError == null && timer == -1 && session == null) {
          reconnectAfter(outcome, (System.currentTimeMillis() - started) / 1000);
        }
      });
    });
  }

  private void reconnectAfter(StreamSession.Outcome outcome, long seconds) {
    String from = pipeline.lastWrittenId();
    long delay;
    int status = outcome.status();
    if (outcome.end() == StreamSession.End.REFUSED) {
      counters.httpRefusals++;
      if (status == 429 || status >= 500) {
        delay = backoff.afterThrottle(outcome.retryAfterMillis());
        log.warn("Refused by {} with HTTP {} ({}); backing off {} s", url, status, outcome.reason(), secs(delay));
      } else {
        delay = backoff.afterFailure();
        log.error("Refused by {} with HTTP {}: {} (check stream.url and stream.userAgent); backing off {} s",
          url, status, outcome.reason(), secs(delay));
      }
      detail = "refused with HTTP " + status + " (" + EventPipeline.excerpt(outcome.reason()) + "), retrying in " + secs(delay) + " s";
    } else if (outcome.events() > 0) {
      // A connection that delivered events: a routine cut (Wikimedia ends every one after 15 minutes).
      backoff.reset();
      diskBackoff.reset();
      if (outcome.end() == StreamSession.End.ENDED) {
        delay = Math.min(serverRetryMillis, backoffMaxMillis); // 0 unless the server sent retry:
        log.info("Stream cut after {} events ({} s); reconnecting from id {}", outcome.events(), seconds, from);
      } else {
        delay = backoff.afterFailure();
        log.warn("Connection lost after {} events ({} s): {}; reconnecting in {} s from id {}",
          outcome.events(), seconds, outcome.reason(), secs(delay), from);
      }
      detail = "reconnecting to " + url;
    } else {
      delay = backoff.afterFailure();
      log.warn("Could not stream from {}: {}; backing off {} s (attempt {})", url, outcome.reason(), secs(delay), backoff.attempts());
      detail = "cannot stream from " + url + " (" + outcome.reason() + "), retrying in " + secs(delay) + " s";
    }
    counters.reconnects++;
    timer = vertx.setTimer(Math.max(1, delay), id -> connect());
  }

  private void onWriteFailure(IOException error) {
    writeError = error;
    if (session != null) {
      session.close();
      session = null;
    }
    streaming = false;
    vertx.cancelTimer(timer);
    retryWrites();
  }

  private void retryWrites() {
    if (stopping) {
      return;
    }
    long delay = diskBackoff.afterThrottle(-1);
    detail = "cannot write " + path.toAbsolutePath() + " (" + writeError.getMessage() + "); stopped taking events, retrying in "
      + secs(delay) + " s";
    log.error("Not taking events: cannot write {} ({}); retrying in {} s", path.toAbsolutePath(), writeError.getMessage(), secs(delay));
    timer = vertx.setTimer(delay, id -> {
      timer = -1;
      if (stopping) {
        return;
      }
      writerThread.executeBlocking(this::usableSpace, true)
        .compose(free -> free >= minFreeBytes ? pipeline.open().map(free)
          : Future.failedFuture(new IOException("only " + (free >> 20) + " MB free on the file's disk, want "
          + (minFreeBytes >> 20) + " MB (ingest.minFreeMegabytes)")))
        .onSuccess(free -> {
          log.info("{} is writable again ({} MB free); resuming from id {}", path, free >> 20, pipeline.lastWrittenId());
          writeError = null;
          connect();
        })
        .onFailure(e -> {
          writeError = e instanceof IOException io ? io : new IOException(e.getMessage(), e);
          retryWrites();
        });
    });
  }

  private long usableSpace() throws IOException {
    Path dir = path.toAbsolutePath().getParent();
    return Files.getFileStore(Files.exists(path) ? path : dir).getUsableSpace();
  }

  private JsonObject status() {
    boolean live = writeError == null
      && (streaming || (disconnectedAt > 0 && System.currentTimeMillis() - disconnectedAt < LIVE_GRACE_MILLIS));
    String text = streaming
      ? detail + ", " + counters.eventsWritten + " events written, last id " + pipeline.lastWrittenId()
      : detail;
    return new JsonObject()
      .put("part", "ingest")
      .put("live", live)
      .put("detail", text)
      .put("counters", counters.toJson())
      .put("gauges", counters.gauges(pipeline.backlogBytes()));
  }

  private static boolean isHttpUrl(String url) {
    try {
      URI uri = new URI(url);
      return ("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme())) && uri.getHost() != null;
    } catch (URISyntaxException e) {
      return false;
    }
  }

  private static String secs(long millis) {
    return String.format(Locale.ROOT, "%.1f", millis / 1000.0);
  }
}
