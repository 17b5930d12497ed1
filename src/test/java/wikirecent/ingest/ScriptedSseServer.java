package wikirecent.ingest;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import wikirecent.testsupport.Wait;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A real SSE server on loopback whose every answer the test writes: a status and body, or bytes in given pieces
 * (each piece its own TCP write, a few ms apart), then end, drop or hold the connection. Request n gets reply n;
 * the last reply repeats. Records each request's headers and arrival time.
 */
final class ScriptedSseServer {

  /** One request as the server saw it: its headers, its query parameters (decoded), when it came. */
  record Received(Map<String, String> headers, Map<String, String> params, long atNanos) {
    String header(String name) {
      return headers.get(name.toLowerCase());
    }

    String param(String name) {
      return params.get(name);
    }
  }

  enum After { END, DROP, HOLD }

  /** What to answer to one request. */
  interface Reply {
    void serve(Vertx vertx, HttpServerRequest request);
  }

  static Reply status(int status, String body, String... headerPairs) {
    return (vertx, req) -> {
      HttpServerResponse resp = req.response().setStatusCode(status);
      for (int i = 0; i + 1 < headerPairs.length; i += 2) {
        resp.putHeader(headerPairs[i], headerPairs[i + 1]);
      }
      resp.end(body);
    };
  }

  static Reply stream(List<byte[]> pieces, After after) {
    return stream(req -> pieces, after);
  }

  /** A stream whose pieces may depend on the request (e.g. its Last-Event-ID). */
  static Reply stream(Function<HttpServerRequest, List<byte[]>> script, After after) {
    return (vertx, req) -> {
      HttpServerResponse resp = req.response().setChunked(true).putHeader("Content-Type", "text/event-stream; charset=utf-8");
      List<byte[]> pieces = script.apply(req);
      writeFrom(vertx, resp, pieces, 0, after);
    };
  }

  private static void writeFrom(Vertx vertx, HttpServerResponse resp, List<byte[]> pieces, int i, After after) {
    if (i == pieces.size()) {
      switch (after) {
        case END -> resp.end();
        case DROP -> resp.reset();
        case HOLD -> { }
      }
      return;
    }
    resp.write(Buffer.buffer(pieces.get(i)));
    vertx.setTimer(3, id -> writeFrom(vertx, resp, pieces, i + 1, after));
  }

  /** Text cut into pieces of at most {@code size} bytes (a multi-byte character may be split: TCP does that). */
  static List<byte[]> pieces(String text, int size) {
    byte[] all = text.getBytes(StandardCharsets.UTF_8);
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < all.length; i += size) {
      out.add(java.util.Arrays.copyOfRange(all, i, Math.min(all.length, i + size)));
    }
    return out;
  }

  private final Vertx vertx;
  private final List<Reply> replies;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private HttpServer server;

  private ScriptedSseServer(Vertx vertx, List<Reply> replies) {
    this.vertx = vertx;
    this.replies = replies;
  }

  static ScriptedSseServer start(Vertx vertx, Reply... replies) {
    return start(vertx, new HttpServerOptions(), replies);
  }

  static ScriptedSseServer start(Vertx vertx, HttpServerOptions options, Reply... replies) {
    ScriptedSseServer s = new ScriptedSseServer(vertx, List.of(replies));
    s.server = vertx.createHttpServer(options.setHost("127.0.0.1").setPort(0)).requestHandler(s::handle);
    Wait.on(s.server.listen());
    return s;
  }

  private void handle(HttpServerRequest req) {
    Map<String, String> headers = new java.util.HashMap<>();
    req.headers().forEach(e -> headers.put(e.getKey().toLowerCase(), e.getValue()));
    Map<String, String> params = new java.util.HashMap<>();
    req.params().forEach(e -> params.put(e.getKey(), e.getValue()));
    int n = received.size();
    received.add(new Received(Collections.unmodifiableMap(headers), Collections.unmodifiableMap(params), System.nanoTime()));
    replies.get(Math.min(n, replies.size() - 1)).serve(vertx, req);
  }

  String url(String scheme) {
    return scheme + "://127.0.0.1:" + server.actualPort() + "/v2/stream/recentchange";
  }

  String url() {
    return url("http");
  }

  List<Received> received() {
    return received;
  }

  Future<Void> close() {
    return server.close();
  }
}
