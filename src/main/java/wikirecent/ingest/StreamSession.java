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
import wikirecent.retry.Backoff;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.function.BooleanSupplier;

/**
 * One GET of the SSE feed, from request to the end of the response. Feeds the body to an {@link SseParser} and
 * says how it ended; what to do next (back off, resume) is the verticle's business.
 * <p>
 * A connection that stays silent for the idle timeout is closed, so a half-open one cannot hang ingest. Until the
 * response headers that is the request's own idle timeout; after them a timer on the event loop, which counts
 * only while we read: while the response is paused for back-pressure the server is not silent, we are deaf.
 */
final class StreamSession {

  enum End {
    /** The server ended the response (Wikimedia does every 15 minutes): routine. */
    ENDED,
    /** Could not connect, or the connection broke or went idle. */
    LOST,
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
  private long lastDataNanos;
  private long idleTimer = -1;

  private StreamSession(Vertx vertx) {
    this.vertx = vertx;
  }

  /**
   * @param lastEventId sent as {@code Last-Event-ID} unless empty; also the id events carry until the stream sends one
   * @param shouldPause asked after each chunk: true pauses the response until {@link #resume()}
   */
  static StreamSession open(Vertx vertx, HttpClient client, String url, String userAgent, String lastEventId,
                            long idleTimeoutMillis, int maxEventBytes, SseParser.Listener listener,
                            BooleanSupplier shouldPause) {
    StreamSession session = new StreamSession(vertx);
    session.idleTimeoutMillis = idleTimeoutMillis;
    RequestOptions options = new RequestOptions()
      .setMethod(HttpMethod.GET)
      .setAbsoluteURI(url)
      .setFollowRedirects(true)
      .setIdleTimeout(idleTimeoutMillis)
      .putHeader(HttpHeaders.ACCEPT, "text/event-stream")
      .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
      .putHeader(HttpHeaders.USER_AGENT, userAgent);
    if (!lastEventId.isEmpty()) {
      options.putHeader("Last-Event-ID", lastEventId);
    }
    SseParser parser = new SseParser(session.counting(listener), lastEventId, maxEventBytes);
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
      public void onRetry(long millis) {
        listener.onRetry(millis);
      }

      @Override
      public void onOversized(String lastEventId, long bytes) {
        listener.onOversized(lastEventId, bytes);
      }
    };
  }

  private void onResponse(HttpClientResponse resp, SseParser parser, BooleanSupplier shouldPause) {
    response = resp;
    if (closing) {
      request.reset();
      finish(End.CLOSED, resp.statusCode(), "closed", -1);
      return;
    }
    int status = resp.statusCode();
    String type = resp.getHeader(HttpHeaders.CONTENT_TYPE);
    if (status == 200 && type != null && type.toLowerCase().startsWith("text/event-stream")) {
      connected.complete(status);
      lastDataNanos = System.nanoTime();
      watchIdle(idleTimeoutMillis);
      resp.handler(buffer -> {
        lastDataNanos = System.nanoTime(); // the timer looks at this when it fires: no timer churn per chunk
        if (!outcome.future().isComplete()) {
          parser.feed(buffer.getBytes());
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
    resp.handler(b -> {
      if (body.length() < MAX_REASON_CHARS * 4) {
        body.appendBuffer(b);
      }
    });
    resp.endHandler(v -> finish(End.REFUSED, status, what + reason(body), retryAfter));
    resp.exceptionHandler(e -> finish(End.REFUSED, status, what + reason(body), retryAfter));
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
      lastDataNanos = System.nanoTime(); // the silence counts from when we listen again
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
    long silentMillis = (System.nanoTime() - lastDataNanos) / 1_000_000;
    if (silentMillis < idleTimeoutMillis) {
      watchIdle(idleTimeoutMillis - silentMillis);
      return;
    }
    finish(End.LOST, response.statusCode(), "no data for " + silentMillis / 1000 + " s (stream.idleTimeoutSeconds)", -1);
    request.reset(); // closes the connection; its late exception finds the outcome already set
  }

  private static String reason(Buffer body) {
    String text = body.toString(StandardCharsets.UTF_8).replaceAll("\\s+", " ").trim();
    return text.length() <= MAX_REASON_CHARS ? text : text.substring(0, MAX_REASON_CHARS) + "...";
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    return message == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + message;
  }
}
