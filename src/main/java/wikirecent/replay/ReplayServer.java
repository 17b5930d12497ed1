package wikirecent.replay;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import wikirecent.ingest.Since;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Serves a recorded file as a Wikimedia-like recent-change SSE feed on {@code /v2/stream/recentchange}: a
 * {@code :ok} comment first, {@code event: message}, Wikimedia-shaped ids, resume after a Last-Event-ID or from
 * a time ({@code ?since=}, by the events' meta.dt), an optional rate limit, cuts every N events (cleanly or
 * mid-frame) and looping. Offline runs and tests use it.
 */
public final class ReplayServer {

  private static final Logger log = LoggerFactory.getLogger(ReplayServer.class);
  public static final String PATH = "/v2/stream/recentchange";
  private static final int CHUNK_BYTES = 64 * 1024;
  /**
   * Chunks one turn of the event loop writes before it lets other work run. Without a bound, a reader that keeps up
   * with a looping feed kept the loop here for good, and once it dropped, writes to the dead connection failed without
   * ever filling the queue, so the drop was never seen and the loop spun until the process ended.
   */
  private static final int CHUNKS_PER_TURN = 16;
  private static final int MAX_REMEMBERED_REQUESTS = 1000;

  /** What a client sent when it connected (kept for tests and for the log); {@code since} as sent, or null. */
  public record Request(String userAgent, String lastEventId, String accept, long startOffset, String since) {
  }

  private final Vertx vertx;
  private final ReplayOptions options;
  private final ReplayFeed feed;
  private final HttpServer server;
  private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());

  private ReplayServer(Vertx vertx, ReplayOptions options, ReplayFeed feed) {
    this.vertx = vertx;
    this.options = options;
    this.feed = feed;
    this.server = vertx.createHttpServer(new HttpServerOptions().setHost(options.host()).setPort(options.port()));
  }

  public static void main(String[] args) {
    ReplayOptions options;
    try {
      options = ReplayOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("replay: " + e.getMessage());
      System.err.println(ReplayOptions.USAGE);
      System.exit(2);
      return;
    }
    if (options.help()) {
      System.out.println(ReplayOptions.USAGE);
      return;
    }
    Vertx vertx = Vertx.vertx();
    start(vertx, options).onFailure(e -> {
      log.error("Replay could not start: {}", e.getMessage());
      vertx.close().onComplete(v -> System.exit(1));
    });
  }

  /** Loads the recording and listens; completes with the running server (see {@link #port()}). */
  public static Future<ReplayServer> start(Vertx vertx, ReplayOptions options) {
    return vertx.executeBlocking(() -> ReplayFeed.load(options.file()))
      .compose(feed -> {
        if (feed.size() == 0) {
          return Future.failedFuture("no events in " + feed.source());
        }
        ReplayServer replay = new ReplayServer(vertx, options, feed);
        return replay.server.requestHandler(replay::serve).listen().map(s -> {
          log.info("Replaying {} events from {} at {} (rate {}, cut every {}{}{}{})", feed.size(), feed.source(), replay.url(),
            options.rate() > 0 ? options.rate() + "/s" : "unlimited", options.cutEvery() > 0 ? options.cutEvery() : "never",
            options.cutMidFrame() ? ", mid-frame" : "", options.loop() ? ", looping" : "", options.crlf() ? ", CRLF" : "");
          return replay;
        });
      });
  }

  public int port() {
    return server.actualPort();
  }

  public String url() {
    return "http://" + options.host() + ":" + port() + PATH;
  }

  /** How many events one round of the recording holds. */
  public int eventCount() {
    return feed.size();
  }

  /** The requests served so far (the last 1000), oldest first. */
  public List<Request> requests() {
    synchronized (requests) {
      return List.copyOf(requests);
    }
  }

  public Future<Void> close() {
    return server.close();
  }

  private void serve(HttpServerRequest req) {
    if (!PATH.equals(req.path())) {
      req.response().setStatusCode(404).end("not found: try " + PATH + "\n");
      return;
    }
    if (req.method() != HttpMethod.GET) {
      req.response().setStatusCode(405).putHeader(HttpHeaders.ALLOW, "GET").end();
      return;
    }
    String lastEventId = req.getHeader("Last-Event-ID");
    String since = req.getParam(Since.PARAM);
    long after = ReplayFeed.offsetOf(lastEventId);
    long start = after + 1;
    if (after < 0 && since != null) {
      try {
        start = feed.firstAtOrAfter(Since.parse(since)); // an id of ours wins, as on EventStreams
      } catch (IllegalArgumentException e) {
        req.response().setStatusCode(400).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8").end(e.getMessage() + "\n");
        return;
      }
    }
    if (!options.loop() && start > feed.size()) {
      start = feed.size();
    }
    Request r = new Request(req.getHeader(HttpHeaders.USER_AGENT), lastEventId, req.getHeader(HttpHeaders.ACCEPT), start, since);
    synchronized (requests) {
      requests.add(r);
      if (requests.size() > MAX_REMEMBERED_REQUESTS) {
        requests.remove(0);
      }
    }
    log.info("Client {} connected (User-Agent: {}; Last-Event-ID: {}{}): sending from offset {}",
      req.remoteAddress(), r.userAgent(), lastEventId == null ? "none" : lastEventId, since == null ? "" : "; since " + since, start);
    new Connection(req.response(), start).begin();
  }

  /** One client's stream. Runs on the server's event loop. */
  private final class Connection {
    private final HttpServerResponse response;
    private long next;
    private long sent;
    private double tokens;
    private long lastRefill;
    private long rateTimer = -1;
    private long heartbeatTimer = -1;
    private boolean done;
    private boolean atEndLogged;
    private boolean pumpQueued;

    Connection(HttpServerResponse response, long start) {
      this.response = response;
      this.next = start;
    }

    void begin() {
      response.setChunked(true)
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache");
      response.closeHandler(v -> stop());
      response.exceptionHandler(e -> stop());
      response.write(options.crlf() ? ":ok\r\n\r\n" : ":ok\n\n");
      if (options.rate() > 0) {
        lastRefill = System.nanoTime();
        tokens = 1;
        rateTimer = vertx.setPeriodic(10, id -> refill());
      }
      if (options.heartbeatSeconds() > 0) {
        heartbeatTimer = vertx.setPeriodic(options.heartbeatSeconds() * 1000, id -> {
          if (!done && !response.writeQueueFull()) {
            response.write(options.crlf() ? ":\r\n" : ":\n");
          }
        });
      }
      pump();
    }

    private void refill() {
      long now = System.nanoTime();
      double burst = Math.max(1, options.rate() / 10);
      tokens = Math.min(burst, tokens + options.rate() * (now - lastRefill) / 1e9);
      lastRefill = now;
      pump();
    }

    private boolean hasMore() {
      return options.loop() || next < feed.size();
    }

    private void pump() {
      int chunks = 0;
      while (!done && !response.writeQueueFull()) {
        if (++chunks > CHUNKS_PER_TURN) {
          if (!pumpQueued) {
            pumpQueued = true;
            vertx.runOnContext(v -> {
              pumpQueued = false;
              pump();
            });
          }
          return;
        }
        Buffer chunk = Buffer.buffer(CHUNK_BYTES + 2048);
        long first = next;
        while (chunk.length() < CHUNK_BYTES && hasMore() && !cutDue() && (options.rate() == 0 || tokens >= 1)) {
          feed.appendFrame(chunk, next, options.crlf());
          next++;
          sent++;
          tokens--;
        }
        if (chunk.length() > 0) {
          if (options.writeListener() != null) {
            options.writeListener().writing(first, next);
          }
          response.write(chunk);
        }
        if (cutDue()) {
          cut();
          return;
        }
        if (!hasMore() && !atEndLogged) {
          atEndLogged = true;
          log.info("Sent the last event (offset {}); keeping the connection open", next - 1);
        }
        if (chunk.length() == 0) {
          return; // waiting for tokens, or at the end: timers call pump again
        }
      }
      if (!done) {
        response.drainHandler(v -> pump());
      }
    }

    private boolean cutDue() {
      return options.cutEvery() > 0 && sent >= options.cutEvery();
    }

    private void cut() {
      if (options.cutMidFrame() && hasMore()) {
        byte[] frame = feed.frame(next, options.crlf());
        response.write(Buffer.buffer().appendBytes(frame, 0, frame.length / 2));
        log.debug("Cutting the connection in the middle of offset {}", next);
        stop();
        response.reset();
      } else {
        log.debug("Ending the response after offset {}", next - 1);
        stop();
        response.end();
      }
    }

    private void stop() {
      done = true;
      vertx.cancelTimer(rateTimer);
      vertx.cancelTimer(heartbeatTimer);
    }
  }
}
