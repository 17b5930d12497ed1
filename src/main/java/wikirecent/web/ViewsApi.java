package wikirecent.web;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import wikirecent.bus.ViewParams;

import java.util.List;
import java.util.Map;

/**
 * The views over HTTP: the list ({@code /api/views}), an instance's snapshot ({@code /api/views/<view>?...}; a large
 * one gzipped for clients that take it) and its raw WebSocket stream ({@code /api/stream/<view>?...}). Every error
 * is a JSON answer before any upgrade: 404 unknown view, 400 parameters the view does not take (the message says
 * which), 426 a plain GET of a stream, and what opening the instance met: 429 too many instances, 501 not with this
 * source, 503 not yet (with Retry-After).
 */
final class ViewsApi {

  private static final Logger log = LoggerFactory.getLogger(ViewsApi.class);

  private final Replicas replicas;
  private final FanOut fanOut;
  private final ConnectionGuard guard;
  private final int queueBound;
  private final int maxFrameSize;
  private final WorkerExecutor builds;
  private final WebMetrics metrics;

  /** @param builds where a large snapshot is gzipped for REST answers, off the event loop (with the snapshots' builds) */
  ViewsApi(Replicas replicas, FanOut fanOut, ConnectionGuard guard, int queueBound, int maxFrameSize,
           WorkerExecutor builds, WebMetrics metrics) {
    this.replicas = replicas;
    this.builds = builds;
    this.metrics = metrics;
    this.fanOut = fanOut;
    this.guard = guard;
    this.queueBound = queueBound;
    this.maxFrameSize = maxFrameSize;
  }

  /** Every view: its columns and the parameters it takes, with their values and defaults. */
  void handleViews(RoutingContext rc) {
    JsonArray views = new JsonArray();
    for (ViewParams.View v : ViewParams.View.values()) {
      views.add(v.describe());
    }
    json(rc, 200, new JsonObject().put("views", views));
  }

  /** The instance's snapshot message once this node has it (opening the instance if need be). */
  void handleSnapshot(RoutingContext rc) {
    ViewParams params = params(rc);
    if (params == null) {
      return;
    }
    replicas.open(params).onComplete(ar -> {
      if (ar.failed()) {
        fail(rc, params, ar.cause());
        return;
      }
      ViewReplica r = ar.result();
      r.snapshot(snapshot -> {
        replicas.release(r);
        if (snapshot.failed()) {
          fail(rc, params, snapshot.cause());
          return;
        }
        answer(rc, snapshot.result());
      });
    });
  }

  /** A large snapshot goes gzipped to a client that takes it (made once per state, on the builders); else as it is. */
  private void answer(RoutingContext rc, Encoded snapshot) {
    if (rc.response().closed()) {
      return; // the client went away while the snapshot was built
    }
    rc.response()
      .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
      .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
      .putHeader(HttpHeaders.VARY, "Accept-Encoding");
    if (!snapshot.large() || !Gzip.accepted(rc.request().headers())) {
      endSliced(rc.response(), snapshot.text());
      return;
    }
    snapshot.gzipped(builds, metrics).onComplete(gzipped -> {
      if (rc.response().closed()) {
        return;
      }
      if (gzipped.failed()) { // logged once, where it failed
        endSliced(rc.response(), snapshot.text());
        return;
      }
      rc.response().putHeader(HttpHeaders.CONTENT_ENCODING, "gzip");
      endSliced(rc.response(), gzipped.result());
    });
  }

  /**
   * The raw WebSocket: the instance is opened before the upgrade (a view every node holds is taken at once,
   * snapshot or not, as always), so a refusal is a plain HTTP answer.
   */
  void handleStream(RoutingContext rc) {
    ViewParams params = params(rc);
    if (params == null) {
      return;
    }
    if (!rc.request().canUpgradeToWebSocket()) {
      rc.response().putHeader(HttpHeaders.UPGRADE, "websocket").putHeader(HttpHeaders.CONNECTION, "upgrade"); // Upgrade goes with it
      json(rc, 426, new JsonObject().put("error", "this is a WebSocket; connect with an Upgrade: websocket request")
        .put("view", params.view().viewName()));
      return;
    }
    // While the instance opens, the request's end waits: it can only be upgraded while it is unread.
    rc.request().pause();
    replicas.open(params).onComplete(ar -> {
      if (ar.failed()) {
        rc.request().resume();
        fail(rc, params, ar.cause());
      } else {
        upgrade(rc, ar.result());
      }
    });
  }

  private void upgrade(RoutingContext rc, ViewReplica replica) {
    if (rc.response().closed()) {
      replicas.release(replica); // gone while the instance opened: Vert.x would log the handshake it cannot finish
      return;
    }
    rc.request().toWebSocket()
      .onFailure(e -> {
        replicas.release(replica);
        rc.fail(400, e);
      })
      .onSuccess(ws -> {
        Runnable connectionClosed = guard.upgraded(rc.request().connection());
        StreamClient client = new StreamClient(ws, maxFrameSize, queueBound);
        fanOut.add(client);
        ws.closeHandler(v -> {
          fanOut.remove(client);
          connectionClosed.run();
        });
        ws.exceptionHandler(e -> log.debug("{}: {}", client, e.toString()));
        if (replica.stopped()) {
          client.ended(fanOut, replica.key(), replica.endedWith()); // refused while the upgrade was under way
        } else {
          fanOut.subscribe(client, replica.key(), true);
        }
        replicas.release(replica);
      });
  }

  /** What a response is written in, as its connection takes it. */
  static final int SLICE = 64 * 1024;
  /** Slices one response writes in one turn of the event loop, however fast its connection takes them. */
  private static final int SLICES_PER_TURN = 4;

  /**
   * Ends a response with a body every request of the state shares, a few slices per turn of the event loop and no
   * more than the connection takes: so a hundred GETs of a 4.6 MB snapshot neither queue 460 MB at once nor hold the
   * loop while they copy it.
   */
  static void endSliced(HttpServerResponse response, Buffer body) {
    if (body.length() <= SLICE) {
      response.end(body);
      return;
    }
    response.putHeader(HttpHeaders.CONTENT_LENGTH, String.valueOf(body.length()));
    writeFrom(response, body, 0);
  }

  private static void writeFrom(HttpServerResponse response, Buffer body, int from) {
    int at = from;
    for (int slices = 0; at < body.length(); slices++) {
      if (response.closed()) {
        return;
      }
      int next = at;
      if (response.writeQueueFull()) {
        response.drainHandler(v -> {
          response.drainHandler(null);
          writeFrom(response, body, next);
        });
        return;
      }
      if (slices == SLICES_PER_TURN) {
        Vertx.currentContext().runOnContext(v -> writeFrom(response, body, next));
        return;
      }
      int to = Math.min(body.length(), at + SLICE);
      response.write(body.slice(at, to));
      at = to;
    }
    response.end();
  }

  /** The view and parameters of the request, or null after answering 404 or 400. */
  private static ViewParams params(RoutingContext rc) {
    String name = rc.pathParam("view");
    try {
      ViewParams.View.byName(name);
    } catch (IllegalArgumentException e) {
      // the name is only looked up, never used as text
      json(rc, 404, new JsonObject().put("error", "unknown view").put("view", name));
      return null;
    }
    MultiMap query = rc.queryParams();
    try {
      return ViewParams.parse(name, query);
    } catch (IllegalArgumentException e) {
      json(rc, 400, new JsonObject().put("error", e.getMessage()).put("view", name));
      return null;
    }
  }

  /** An {@link OpenFailure} as its status and {@code {"error":..,"view":..,"key":..}}; 429 and 503 say when to try again. */
  private static void fail(RoutingContext rc, ViewParams params, Throwable cause) {
    OpenFailure f = cause instanceof OpenFailure o ? o : new OpenFailure(503, String.valueOf(cause.getMessage()));
    if (f.code == 503) {
      rc.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
    } else if (f.code == 429) {
      rc.response().putHeader(HttpHeaders.RETRY_AFTER, String.valueOf(Replicas.REFUSAL_MEMORY_MILLIS / 1000));
    }
    json(rc, f.code, new JsonObject().put("error", f.getMessage()).put("view", params.view().viewName()).put("key", params.toString()));
  }

  static void json(RoutingContext rc, int status, JsonObject body) {
    if (rc.response().ended() || rc.response().closed()) {
      return; // the client went away while the instance opened
    }
    rc.response()
      .setStatusCode(status)
      .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
      .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
      .end(body.encode());
  }
}
