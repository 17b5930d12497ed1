package wikirecent.ingest;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import wikirecent.config.Redact;
import wikirecent.retry.Backoff;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.function.BooleanSupplier;

/**
 * One GET of the SSE feed, from request to the end of the response. Feeds the body to an {@link SseParser} and
 * says how it ended; what to do next (back off, resume) is {@link IngestLoop}'s business.
 * <p>
 * A connection that delivers nothing complete for the idle timeout is closed, so neither a half-open connection
 * nor a line that never ends can hang ingest. Until the response headers that is the request's own idle timeout;
 * after them a timer on the event loop that looks at the parser's {@link SseParser#progress()}: a complete event
 * or a comment line (the heartbeat servers send when there is nothing new, like Wikimedia's {@code :ok}) counts,
 * bytes alone do not. It counts only while we read: while the response is paused for back-pressure the server
 * is not silent, we are deaf.
 */
final class StreamSession {

  enum End {
    /** The server ended the response (Wikimedia does every 15 minutes): routine. */
    ENDED,
    /** Could not connect, or the connection broke. */
    LOST,
    /** Nothing complete came for the idle timeout: we cut it. */
    IDLE,
    /** The server answered with something other than an event stream (a status, a body). */
    REFUSED,
    /** We closed it (stop, or a write failure). */
    CLOSED
  }

  /**
   * @param status           HTTP status when there was a response, else 0
   * @param reason           the error, or the start of the server's body when refused
   * @param retryAfterMillis the server's Retry-After, -1 if none
   * @param events           message events received on this connection (an {@code event: error} is not one)
   */
  record Outcome(End end, int status, String reason, long retryAfterMillis, long events) {
  }

  /**
   * One connection's request.
   *
   * @param from      where to start (Last-Event-ID, since, or the live edge)
   * @param idInForce the id events carry until the stream sends one (the last id written, sent or not)
   */
  record Request(String url, String userAgent, ResumePoint from, String idInForce, long idleTimeoutMillis, int maxEventBytes) {
  }

  private static final int MAX_REASON_CHARS = 500;

  private final Promise<Outcome> outcome = Promise.promise();
  private final Promise<Integer> connected = Promise.promise();
  private final Vertx vertx;
  private HttpClientRequest request;
  private HttpClientResponse response;
  private boolean closing;
  private boolean paused;
  private long events;
  private long idleTimeoutMillis;
  private SseParser parser;
  private long seenProgress;
  private byte[] chunk = new byte[0]; // the response body chunk being parsed
  private long lastActivityNanos;
  private long lastActivityMillis; // wall clock of this connection's last complete event or heartbeat, 0 if none
  private long idleTimer = -1;

  private StreamSession(Vertx vertx) {
    this.vertx = vertx;
  }

  /** @param shouldPause asked after each chunk: true pauses the response until {@link #resume()} */
  static StreamSession open(Vertx vertx, HttpClient client, Request r, SseParser.Listener listener, BooleanSupplier shouldPause) {
    StreamSession session = new StreamSession(vertx);
    session.idleTimeoutMillis = r.idleTimeoutMillis();
    SseParser parser = new SseParser(session.counting(listener), r.idInForce(), r.maxEventBytes());
    session.parser = parser;
    session.lastActivityNanos = System.nanoTime();
    RequestOptions options;
    try {
      options = new RequestOptions()
        .setMethod(HttpMethod.GET)
        .setAbsoluteURI(r.from().since() == null ? r.url() : Since.addTo(r.url(), r.from().since()))
        .setFollowRedirects(true)
        .setIdleTimeout(r.idleTimeoutMillis())
        .putHeader(HttpHeaders.ACCEPT, "text/event-stream")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
        .putHeader(HttpHeaders.USER_AGENT, r.userAgent());
      if (r.from().id() != null) {
        options.putHeader("Last-Event-ID", Ids.headerValue(r.from().id()));
      }
      String basic = FeedAuth.basic(r.url());
      if (basic != null) {
        options.putHeader(HttpHeaders.AUTHORIZATION, basic);
      }
    } catch (RuntimeException e) {
      // A request that cannot even be built ends like a failed connection: the loop decides what comes next.
      vertx.runOnContext(v -> session.finish(End.LOST, 0, describe(e), -1));
      return session;
    }
    client.request(options)
      .compose(req -> {
        session.request = req;
        if (session.closing) {
          req.reset();
          return Future.failedFuture("closed");
        }
        return req.send();
      })
      .onComplete(ar -> {
        if (ar.failed()) {
          session.finish(session.closing ? End.CLOSED : End.LOST, 0, describe(ar.cause()), -1);
        } else {
          session.onResponse(ar.result(), parser, shouldPause);
        }
      });
    return session;
  }

  private SseParser.Listener counting(SseParser.Listener listener) {
    return new SseParser.Listener() {
      @Override
      public void onEvent(SseEvent event) {
        if (event.isMessage()) {
          events++;
        }
        listener.onEvent(event);
      }

      @Override
      public void onEvent(String type, String lastEventId, byte[] data, int from, int to) {
        if (SseEvent.MESSAGE.equals(type)) {
          events++;
        }
        listener.onEvent(type, lastEventId, data, from, to);
      }

      @Override
      public void onRetry(long millis) {
        listener.onRetry(millis);
      }

      @Override
      public void onOversized(String lastEventId, long bytes, boolean oneLine) {
        listener.onOversized(lastEventId, bytes, oneLine);
      }

      @Override
      public void onOversizedComment(long bytes) {
        listener.onOversizedComment(bytes);
      }
    };
  }

  private void onResponse(HttpClientResponse resp, SseParser parser, BooleanSupplier shouldPause) {
    response = resp;
    // After a redirect the response is another request's: cutting the first one would leave this connection open.
    request = resp.request();
    if (closing) {
      request.reset();
      finish(End.CLOSED, resp.statusCode(), "closed", -1);
      return;
    }
    int status = resp.statusCode();
    String type = resp.getHeader(HttpHeaders.CONTENT_TYPE);
    if (status == 200 && type != null && type.toLowerCase().startsWith("text/event-stream")) {
      connected.complete(status);
      lastActivityNanos = System.nanoTime();
      watchIdle(idleTimeoutMillis);
      resp.handler(buffer -> {
        if (!outcome.future().isComplete()) {
          int n = buffer.length();
          if (chunk.length < n) {
            chunk = new byte[Math.max(n, 64 * 1024)];
          }
          buffer.getBytes(0, n, chunk, 0); // into one array reused chunk after chunk: the parser keeps none of it
          parser.feed(chunk, 0, n);
          long progress = parser.progress();
          if (progress != seenProgress) {
            seenProgress = progress;
            lastActivityNanos = System.nanoTime(); // the timer looks at this when it fires: no timer churn per chunk
            lastActivityMillis = System.currentTimeMillis();
          }
          if (!paused && shouldPause.getAsBoolean()) {
            paused = true;
            stopWatchingIdle();
            resp.pause();
          }
        }
      });
      resp.endHandler(v -> finish(closing ? End.CLOSED : End.ENDED, status, "end of stream", -1));
      resp.exceptionHandler(e -> finish(closing ? End.CLOSED : End.LOST, status, describe(e), -1));
      return;
    }
    // Not an event stream: keep the start of the body for the log, it usually says why.
    long retryAfter = Backoff.retryAfterMillis(resp.getHeader(HttpHeaders.RETRY_AFTER), Instant.now());
    Buffer body = Buffer.buffer();
    String what = status == 200 ? "content type " + type + ", not text/event-stream: " : "";
    Runnable refused = () -> finish(End.REFUSED, status, what + reason(body), retryAfter);
    // A body that never ends (a proxy's endless page, a connection gone half-open mid-page) must not hold the
    // session: it ends once the part kept for the log is read, or after the silence timeout.
    Runnable cut = () -> {
      if (!outcome.future().isComplete()) {
        refused.run();
        request.reset();
      }
    };
    if (idleTimeoutMillis > 0) {
      idleTimer = vertx.setTimer(idleTimeoutMillis, id -> {
        idleTimer = -1;
        cut.run();
      });
    }
    resp.handler(b -> {
      if (body.length() < MAX_REASON_CHARS * 4) {
        body.appendBuffer(b);
      }
      if (body.length() >= MAX_REASON_CHARS * 4) {
        cut.run();
      }
    });
    resp.endHandler(v -> refused.run());
    resp.exceptionHandler(e -> refused.run());
  }

  /**
   * When this connection last delivered a complete event or heartbeat (wall clock ms, 0 if never); now while
   * paused for back-pressure, since then we are the ones not reading.
   */
  long lastActivityMillis() {
    return paused && !outcome.future().isComplete() ? System.currentTimeMillis() : lastActivityMillis;
  }

  /** Bytes of a line the server started and has not ended. */
  long partialLineBytes() {
    return parser.partialLineBytes();
  }

  /** Completes with the status once the server answered with an event stream. */
  Future<Integer> connected() {
    return connected.future();
  }

  Future<Outcome> outcome() {
    return outcome.future();
  }

  void resume() {
    if (paused && response != null && !outcome.future().isComplete()) {
      paused = false;
      lastActivityNanos = System.nanoTime(); // the silence counts from when we listen again
      watchIdle(idleTimeoutMillis);
      response.resume();
    }
  }

  /** Stops the stream (closes the connection); the outcome is {@link End#CLOSED}. */
  void close() {
    if (closing || outcome.future().isComplete()) {
      return;
    }
    closing = true;
    if (request != null) {
      request.reset();
    }
    finish(End.CLOSED, response == null ? 0 : response.statusCode(), "closed", -1);
  }

  private void finish(End end, int status, String reason, long retryAfterMillis) {
    stopWatchingIdle();
    if (!connected.future().isComplete()) {
      connected.tryFail(reason);
    }
    outcome.tryComplete(new Outcome(end, status, reason, retryAfterMillis, events));
  }

  /** Checks for silence in {@code delayMillis}; a timeout of 0 or less turns the check off. */
  private void watchIdle(long delayMillis) {
    stopWatchingIdle();
    if (idleTimeoutMillis > 0 && !outcome.future().isComplete()) {
      idleTimer = vertx.setTimer(Math.max(1, delayMillis), id -> {
        idleTimer = -1;
        onIdleCheck();
      });
    }
  }

  private void stopWatchingIdle() {
    if (idleTimer != -1) {
      vertx.cancelTimer(idleTimer);
      idleTimer = -1;
    }
  }

  private void onIdleCheck() {
    if (paused || outcome.future().isComplete()) {
      return; // resume() starts watching again
    }
    long silentMillis = (System.nanoTime() - lastActivityNanos) / 1_000_000;
    if (silentMillis < idleTimeoutMillis) {
      watchIdle(idleTimeoutMillis - silentMillis);
      return;
    }
    long partial = parser.partialLineBytes();
    finish(End.IDLE, response.statusCode(), "no complete event or heartbeat for " + silentMillis / 1000 + " s (stream.idleTimeoutSeconds)"
      + (partial > 0 ? ", in a line of " + partial + " bytes so far" : ""), -1);
    request.reset(); // closes the connection; its late exception finds the outcome already set
  }

  /** The start of a refusal's body: it usually says why. Servers echo URLs: any in it are redacted. */
  private static String reason(Buffer body) {
    String text = Redact.text(body.toString(StandardCharsets.UTF_8).replaceAll("\\s+", " ").trim());
    return text.length() <= MAX_REASON_CHARS ? text : text.substring(0, MAX_REASON_CHARS) + "...";
  }

  private static String describe(Throwable e) {
    String message = Redact.text(e.getMessage());
    return message == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + message;
  }
}
