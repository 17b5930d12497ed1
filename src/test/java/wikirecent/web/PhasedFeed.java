package wikirecent.web;

import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import wikirecent.testsupport.Wait;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A real SSE server on loopback that sends what the test appends, when it appends it: every connection gets
 * the events after its Last-Event-ID (all of them without one), then stays open for the next appends.
 * Event n (from 0) goes out as {@code event: message}, {@code id: n}, {@code data: <json>}. Appends are
 * written in small pieces a few ms apart, so the reader sees them as many reads, not one.
 */
final class PhasedFeed {

  private static final int PIECE_EVENTS = 40;

  private final Vertx vertx;
  private final Context context;
  private final List<String> events = new ArrayList<>(); // on the context only
  private final Set<Open> open = new HashSet<>();
  private HttpServer server;
  private long heartbeat;
  private int connections;

  /** A connection and how far it has been sent. */
  private static final class Open {
    final HttpServerResponse response;
    int next;

    Open(HttpServerResponse response, int next) {
      this.response = response;
      this.next = next;
    }
  }

  private PhasedFeed(Vertx vertx) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
  }

  static PhasedFeed start(Vertx vertx) {
    PhasedFeed feed = new PhasedFeed(vertx);
    Promise<HttpServer> listening = Promise.promise();
    feed.context.runOnContext(v -> {
      feed.server = vertx.createHttpServer();
      feed.server.requestHandler(feed::handle).listen(0, "127.0.0.1").onComplete(listening);
      // A comment now and then, so a quiet feed is not taken for a dead one.
      feed.heartbeat = vertx.setPeriodic(5000, t -> feed.open.forEach(o -> o.response.write(":\n")));
    });
    Wait.on(listening.future());
    return feed;
  }

  String url() {
    return "http://127.0.0.1:" + server.actualPort() + "/v2/stream/recentchange";
  }

  /** Adds events (JSON texts) and sends them to every open connection; completes once all are written. */
  void append(List<String> json) {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      events.addAll(json);
      pump(done);
    });
    Wait.on(done.future());
  }

  /** How many connections ingest made (more than one: it resumed). */
  int connections() {
    Promise<Integer> p = Promise.promise();
    context.runOnContext(v -> p.complete(connections));
    return Wait.on(p.future());
  }

  void close() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      vertx.cancelTimer(heartbeat);
      server.close().onComplete(done);
    });
    Wait.on(done.future());
  }

  private void handle(HttpServerRequest req) {
    connections++;
    String last = req.getHeader("Last-Event-ID");
    int from = 0;
    if (last != null && !last.isEmpty()) {
      from = Integer.parseInt(last.trim()) + 1;
    }
    HttpServerResponse resp = req.response().setChunked(true).putHeader("Content-Type", "text/event-stream; charset=utf-8");
    resp.write(":ok\n\n");
    Open o = new Open(resp, from);
    open.add(o);
    resp.closeHandler(v -> open.remove(o));
    pump(Promise.promise());
  }

  // One piece to every connection that is behind, then again a few ms later, until none is.
  private void pump(Promise<Void> done) {
    boolean behind = false;
    for (Open o : open) {
      if (o.next < events.size()) {
        int end = Math.min(events.size(), o.next + PIECE_EVENTS);
        StringBuilder sb = new StringBuilder();
        for (int i = o.next; i < end; i++) {
          sb.append("event: message\nid: ").append(i).append("\ndata: ").append(events.get(i)).append("\n\n");
        }
        o.response.write(Buffer.buffer(sb.toString()));
        o.next = end;
        behind |= end < events.size();
      }
    }
    if (behind) {
      vertx.setTimer(3, t -> pump(done));
    } else {
      done.tryComplete();
    }
  }
}
