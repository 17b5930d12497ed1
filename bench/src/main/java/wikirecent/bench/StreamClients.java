package wikirecent.bench;

import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import wikirecent.bus.Addresses;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;

/**
 * Many dashboard clients of one view, as the benchmark's load: raw WebSockets on
 * {@code /api/stream/<view>}, or SockJS over its real WebSocket transport
 * ({@code /eventbus/<server>/<session>/websocket}: the server opens with {@code o}, sends
 * {@code a["<bridge frame>",...]} and {@code h}; the client sends {@code ["<bridge frame>"]}), which
 * registers on {@code views.<view>} and asks for the snapshot as the dashboard does. Each view
 * message is scanned for its timestamp, its first number in {@code inserted} (the counter's
 * count) and whether it is a snapshot, without a JSON parse, so a client costs little.
 */
final class StreamClients {

  enum Transport {
    WEBSOCKET, SOCKJS;

    static Transport of(String name) {
      return name.equalsIgnoreCase("sockjs") ? SOCKJS : WEBSOCKET;
    }

    String label() {
      return this == SOCKJS ? "sockjs" : "websocket";
    }
  }

  /** One view message received by client {@code client} at {@code nanos} (System.nanoTime), on its event loop. */
  @FunctionalInterface
  interface Listener {
    void message(int client, long timestamp, long count, boolean snapshot, int bytes, long nanos);
  }

  /** Every frame client {@code client} receives, as it came (for clients that read more than {@link #scan} finds). */
  @FunctionalInterface
  interface FrameHandler {
    void frame(int client, Buffer data);
  }

  private static final int MAX_CONNECTING = 200;
  private static final long HANDSHAKE_TIMEOUT_MILLIS = 30_000;
  private static final byte[] TIMESTAMP = "timestamp".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] INSERTED = "inserted".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] SNAPSHOT = "snapshot".getBytes(StandardCharsets.US_ASCII);

  private final Vertx vertx;
  private final WebSocketClient client;
  private final List<WebSocket> sockets = new ArrayList<>();
  private final AtomicInteger closed = new AtomicInteger();
  private final AtomicInteger deflated = new AtomicInteger();
  private final LongAdder framesIn = new LongAdder();

  StreamClients(Vertx vertx, int count) {
    this.vertx = vertx;
    // Offer permessage-deflate as every browser does, so the server meets the handshake its real clients send.
    this.client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(Math.max(1, count))
      .setConnectTimeout(60_000).setTryUsePerMessageCompression(true));
  }

  /**
   * Connects {@code count} clients, at most a few hundred handshakes at a time, spread over the event loops (client i on
   * loop i mod loops: a connection lives on the context it was opened from). A failed connect is tried twice more; then
   * the whole fails.
   */
  Future<Void> connect(String host, int port, Transport transport, String view, int count, Listener listener) {
    return connect(host, port, transport, i -> view, count, (i, data) -> scan(i, data, listener));
  }

  /**
   * SockJS clients that each follow all of {@code views} in one session, as the dashboard follows its panels; only the
   * first view's messages reach {@code listener} (the others count in {@link #framesReceived}).
   */
  Future<Void> connectSockJs(String host, int port, List<String> views, int count, Listener listener) {
    byte[] measured = views.get(0).getBytes(StandardCharsets.US_ASCII);
    return connect(host, port, Transport.SOCKJS, i -> String.join(",", views), count, (i, data) -> scan(i, data, measured, listener));
  }

  /**
   * The same, with client i following {@code viewOf.apply(i)} (for raw WebSockets a view name with its query, as in
   * {@code top10?wiki=enwiki&window=1h}) and every frame handed to {@code frames}.
   */
  Future<Void> connect(String host, int port, Transport transport, IntFunction<String> viewOf, int count, FrameHandler frames) {
    if (count == 0) {
      return Future.succeededFuture();
    }
    return eventLoops(2 * Runtime.getRuntime().availableProcessors())
      .compose(loops -> connectOn(loops, host, port, transport, viewOf, count, frames));
  }

  // Contexts to spread the clients over: each instance of an empty verticle gets its own event-loop context.
  private Future<Context[]> eventLoops(int n) {
    Context[] loops = new Context[n];
    AtomicInteger k = new AtomicInteger();
    return vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        loops[k.getAndIncrement()] = context;
        return Future.succeededFuture();
      }
    }, new DeploymentOptions().setInstances(n)).map(id -> loops);
  }

  private Future<Void> connectOn(Context[] loops, String host, int port, Transport transport, IntFunction<String> viewOf,
                                 int count, FrameHandler frames) {
    Promise<Void> all = Promise.promise();
    AtomicInteger next = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    Runnable[] launch = new Runnable[1];
    launch[0] = () -> {
      int i = next.getAndIncrement();
      if (i >= count) {
        return;
      }
      Promise<Void> one = Promise.promise();
      loops[i % loops.length].runOnContext(v -> connectWithRetries(host, port, transport, viewOf.apply(i), i, frames, 3).onComplete(one));
      one.future().onComplete(ar -> {
        if (ar.failed()) {
          all.tryFail(new IllegalStateException("client " + i + " of " + count + " could not connect: " + ar.cause(), ar.cause()));
          return;
        }
        if (done.incrementAndGet() == count) {
          all.tryComplete();
        } else {
          launch[0].run();
        }
      });
    };
    for (int k = 0; k < Math.min(count, MAX_CONNECTING); k++) {
      launch[0].run();
    }
    return all.future();
  }

  private Future<Void> connectWithRetries(String host, int port, Transport transport, String view, int index, FrameHandler frames,
                                          int attempts) {
    return connectOne(host, port, transport, view, index, frames).recover(e -> {
      if (attempts <= 1) {
        return Future.failedFuture(e);
      }
      Promise<Void> later = Promise.promise();
      vertx.setTimer(1000, t -> connectWithRetries(host, port, transport, view, index, frames, attempts - 1).onComplete(later));
      return later.future();
    });
  }

  private Future<Void> connectOne(String host, int port, Transport transport, String view, int index, FrameHandler frames) {
    String path = transport == Transport.WEBSOCKET
      ? "/api/stream/" + view
      : "/eventbus/" + ThreadLocalRandom.current().nextInt(1000) + "/" + UUID.randomUUID().toString().replace("-", "") + "/websocket";
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost(host).setPort(port).setURI(path)
      .setTimeout(HANDSHAKE_TIMEOUT_MILLIS);
    return client.connect(options).compose(ws -> {
      synchronized (sockets) {
        sockets.add(ws);
      }
      ws.closeHandler(v -> closed.incrementAndGet());
      String extensions = ws.headers() == null ? null : ws.headers().get("sec-websocket-extensions");
      if (extensions != null && extensions.contains("permessage-deflate")) {
        deflated.incrementAndGet();
      }
      if (transport == Transport.WEBSOCKET) {
        ws.handler(data -> {
          framesIn.increment();
          frames.frame(index, data);
        });
        return Future.succeededFuture();
      }
      Promise<Void> opened = Promise.promise();
      long timer = vertx.setTimer(HANDSHAKE_TIMEOUT_MILLIS, t -> opened.tryFail("no SockJS open frame within " + HANDSHAKE_TIMEOUT_MILLIS + " ms"));
      opened.future().onComplete(ar -> vertx.cancelTimer(timer));
      ws.handler(data -> {
        if (data.length() == 1 && data.getByte(0) == 'o') {
          // the SockJS session is open: follow the views (a comma-separated list) as the dashboard does
          JsonArray follow = new JsonArray();
          for (String v : view.split(",")) {
            follow.add(new JsonObject().put("type", "register").put("address", Addresses.view(v)).encode());
            follow.add(new JsonObject().put("type", "send").put("address", Addresses.snapshot(v))
              .put("replyAddress", UUID.randomUUID().toString()).encode());
          }
          ws.writeTextMessage(follow.encode());
          opened.tryComplete();
        } else if (data.length() > 0 && data.getByte(0) == 'a') {
          framesIn.increment();
          frames.frame(index, data); // a["...","..."]: the escaping leaves the numbers as they are
        }
      });
      return opened.future();
    });
  }

  /** Finds each view message in a frame (one for a WebSocket, one or more in a SockJS array). */
  static void scan(int client, Buffer data, Listener listener) {
    scan(client, data, null, listener);
  }

  /**
   * The same, for the messages of view {@code only} alone (null: all): a message's {@code "view"} is the member just
   * before its {@code "timestamp"}, so the name ends a few bytes (quotes, escapes, a comma) before it.
   */
  static void scan(int client, Buffer data, byte[] only, Listener listener) {
    long nanos = System.nanoTime();
    byte[] b = data.getBytes();
    int at = indexOf(b, TIMESTAMP, 0);
    while (at >= 0) {
      int nextMessage = indexOf(b, TIMESTAMP, at + TIMESTAMP.length);
      if (only != null && !namedJustBefore(b, only, at)) {
        at = nextMessage;
        continue;
      }
      int end = nextMessage < 0 ? b.length : nextMessage;
      long ts = numberAfter(b, at + TIMESTAMP.length, end);
      int ins = indexOf(b, INSERTED, at);
      long count = ins >= 0 && ins < end ? numberAfter(b, ins + INSERTED.length, end) : -1;
      int snap = indexOf(b, SNAPSHOT, at);
      boolean snapshot = snap >= 0 && snap < end;
      listener.message(client, ts, count, snapshot, b.length, nanos);
      at = nextMessage;
    }
  }

  private static boolean namedJustBefore(byte[] b, byte[] name, int at) {
    int i = at - 1;
    while (i >= 0 && (b[i] == '"' || b[i] == ',' || b[i] == '\\')) {
      i--;
    }
    int start = i - name.length + 1;
    return start > 0 && Arrays.equals(b, start, start + name.length, name, 0, name.length)
      && (b[start - 1] == '"' || b[start - 1] == '\\');
  }

  /** Frames received by all clients so far (SockJS: {@code a[...]} frames only). */
  long framesReceived() {
    return framesIn.sum();
  }

  /** The digits that follow {@code from} after only quotes, colons, brackets, backslashes and spaces; -1 if something else comes first. */
  static long numberAfter(byte[] b, int from, int end) {
    int i = from;
    while (i < end && (b[i] == '"' || b[i] == ':' || b[i] == '[' || b[i] == '\\' || b[i] == ' ')) {
      i++;
    }
    if (i >= end || b[i] < '0' || b[i] > '9') {
      return -1;
    }
    long n = 0;
    while (i < end && b[i] >= '0' && b[i] <= '9') {
      n = n * 10 + (b[i++] - '0');
    }
    return n;
  }

  static int indexOf(byte[] b, byte[] what, int from) {
    outer:
    for (int i = Math.max(0, from); i <= b.length - what.length; i++) {
      for (int j = 0; j < what.length; j++) {
        if (b[i + j] != what[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  /** Sockets whose server agreed to compress their frames (permessage-deflate). */
  int deflatedCount() {
    return deflated.get();
  }

  /** Sockets that closed (the server dropped them, or we did). */
  int closedCount() {
    return closed.get();
  }

  Future<Void> close() {
    List<Future<Void>> closing = new ArrayList<>();
    synchronized (sockets) {
      sockets.forEach(ws -> closing.add(ws.close()));
      sockets.clear();
    }
    return Future.join(closing).transform(ar -> client.close());
  }

  Vertx vertx() {
    return vertx;
  }
}
