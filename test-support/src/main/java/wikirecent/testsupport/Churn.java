package wikirecent.testsupport;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * A day of clients in minutes: {@code concurrent} sessions at all times, each of a kind drawn from {@link #MIX}, on a
 * key drawn from {@code keys}, held a random while and ended; another starts as each ends. The kinds are what a day of
 * browsers and scripts does to a node: streams and SockJS sessions closed cleanly or cut without a word (a TCP reset,
 * frames unread), sockets that stop reading and are then cut (a stall of seconds, too short to fill a queue bound: a
 * reset with frames unread in flight, not the slow-client close), REST GETs that open parameter sets, the page's files.
 * Every outcome is counted by kind and result; the caller judges. All of it runs on one event loop of the given Vert.x.
 */
public final class Churn {

  public enum Kind { STREAM, SOCKJS, CUT, STALLED, REST, PAGE }

  /** Shares of the kinds, in twentieths. */
  private static final Kind[] MIX = {
    Kind.STREAM, Kind.STREAM, Kind.STREAM, Kind.STREAM, Kind.STREAM, Kind.STREAM, Kind.STREAM,
    Kind.SOCKJS, Kind.SOCKJS, Kind.SOCKJS, Kind.SOCKJS, Kind.SOCKJS,
    Kind.CUT, Kind.CUT, Kind.CUT,
    Kind.STALLED,
    Kind.REST, Kind.REST, Kind.REST,
    Kind.PAGE};
  private static final long FIRST_MESSAGE_MILLIS = 10_000;
  /** A session not over this long after its hold is counted as hung and dropped. */
  private static final long HUNG_MILLIS = 30_000;
  private static final String WS_KEY = "c29hay1jaHVybi1rZXkhIQ==";

  private final Vertx vertx;
  private final int port;
  private final List<String> keys;
  private final int concurrent;
  private final Random random;
  private final Function<String, String> follow;
  private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
  private final AtomicInteger live = new AtomicInteger();
  private final LongAdder ended = new LongAdder();
  private volatile boolean running;
  private Promise<Void> drained;
  private WebSocketClient ws;
  private HttpClient http;
  private NetClient net;
  private io.vertx.core.Context context;

  /**
   * Sessions on {@code keys} (view names, or names with a query: {@code top10?wiki=enwiki}) of the web part on
   * {@code port}; {@code follow} gives the SockJS frame a page sends to follow a key (the app's addresses are its own).
   */
  public Churn(Vertx vertx, int port, List<String> keys, int concurrent, long seed, Function<String, String> follow) {
    this.vertx = vertx;
    this.follow = follow;
    this.port = port;
    this.keys = List.copyOf(keys);
    this.concurrent = concurrent;
    this.random = new Random(seed);
  }

  /**
   * The frame a page sends over SockJS to follow a key: register on {@code viewAddress(key)}, ask
   * {@code snapshotAddress(view)} with the key's query for its snapshot.
   */
  public static Function<String, String> pageFollow(Function<String, String> viewAddress, Function<String, String> snapshotAddress) {
    return key -> {
      int q = key.indexOf('?');
      String snapshot = q < 0 ? snapshotAddress.apply(key) : snapshotAddress.apply(key.substring(0, q)) + key.substring(q);
      return new JsonArray()
        .add(new JsonObject().put("type", "register").put("address", viewAddress.apply(key)).encode())
        .add(new JsonObject().put("type", "send").put("address", snapshot).put("replyAddress", UUID.randomUUID().toString()).encode())
        .encode();
    };
  }

  /** Starts the sessions (on an event loop of its own). */
  public Future<Void> start() {
    return vertx.deployVerticle(new VerticleBase() {
      @Override
      public Future<?> start() {
        Churn.this.context = context;
        ws = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(concurrent * 2)
          .setConnectTimeout(10_000).setTryUsePerMessageCompression(true));
        http = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(10_000).setDecompressionSupported(true)
          .setKeepAlive(false), new PoolOptions().setHttp1MaxSize(concurrent));
        net = vertx.createNetClient(new NetClientOptions().setConnectTimeout(10_000).setSoLinger(0)); // close = reset
        running = true;
        for (int i = 0; i < concurrent; i++) {
          launch();
        }
        return Future.succeededFuture();
      }
    }).mapEmpty();
  }

  /** Starts no more sessions; completes once every session under way has ended. */
  public Future<Void> stop() {
    Promise<Void> p = Promise.promise();
    context.runOnContext(v -> {
      running = false;
      drained = p;
      if (live.get() == 0) {
        p.tryComplete();
      }
    });
    return p.future();
  }

  public int live() {
    return live.get();
  }

  public long ended() {
    return ended.sum();
  }

  /** Sessions ended so far, by {@code kind result}. */
  public Map<String, Long> outcomes() {
    Map<String, Long> out = new TreeMap<>();
    outcomes.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /** Sessions whose result was not the expected one: anything but {@code ok}, or a GET's {@code refused} (429, 503). */
  public long failures() {
    long n = 0;
    for (Map.Entry<String, LongAdder> e : outcomes.entrySet()) {
      if (!e.getKey().endsWith(" ok") && !e.getKey().endsWith(" refused")) {
        n += e.getValue().sum();
      }
    }
    return n;
  }

  private void launch() {
    Kind kind = MIX[random.nextInt(MIX.length)];
    String key = keys.get(random.nextInt(keys.size()));
    long hold = 200 + random.nextInt(3_800);
    live.incrementAndGet();
    Promise<String> result = Promise.promise();
    Runnable[] close = {() -> { }}; // what a session holds, to let go of it if it hangs
    long guard = vertx.setTimer(hold + HUNG_MILLIS, t -> {
      if (result.tryComplete("hung")) {
        close[0].run();
      }
    });
    run(kind, key, hold, random.nextBoolean(), close)
      .onComplete(ar -> result.tryComplete(ar.succeeded() ? ar.result() : "failed: " + brief(ar.cause())));
    result.future().onComplete(ar -> {
      vertx.cancelTimer(guard);
      outcomes.computeIfAbsent(kind.name().toLowerCase() + " " + ar.result(), k -> new LongAdder()).increment();
      ended.increment();
      live.decrementAndGet();
      if (running) {
        launch();
      } else if (live.get() == 0 && drained != null) {
        drained.tryComplete();
      }
    });
  }

  private static String brief(Throwable e) {
    String m = String.valueOf(e.getMessage());
    return m.length() > 60 ? m.substring(0, 60) : m;
  }

  private Future<String> run(Kind kind, String key, long hold, boolean coin, Runnable[] close) {
    return switch (kind) {
      case STREAM -> stream("/api/stream/" + key, null, hold, close);
      case SOCKJS -> stream(sockJsPath(), key, hold, close);
      case CUT -> raw(coin ? "/api/stream/" + key : sockJsPath(), hold, false, close);
      case STALLED -> raw("/api/stream/" + key, hold, true, close);
      case REST -> get("/api/views/" + key, coin, close);
      case PAGE -> get(coin ? "/" : "/app.js", true, close);
    };
  }

  private String sockJsPath() {
    return "/eventbus/" + random.nextInt(1000) + "/" + UUID.randomUUID().toString().replace("-", "") + "/websocket";
  }

  /** A WebSocket (a stream, or SockJS following {@code sockJsKey}) held {@code hold} ms after its first message, then closed. */
  private Future<String> stream(String path, String sockJsKey, long hold, Runnable[] close) {
    return ws.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(path).setTimeout(10_000))
      .compose(socket -> {
        close[0] = socket::close;
        Promise<String> done = Promise.promise();
        boolean[] got = {false};
        long noMessage = vertx.setTimer(FIRST_MESSAGE_MILLIS, t -> {
          done.tryComplete("no message");
          socket.close();
        });
        socket.handler(b -> {
          if (sockJsKey != null && b.length() == 1 && b.getByte(0) == 'o') {
            socket.writeTextMessage(follow.apply(sockJsKey));
            return;
          }
          if (!got[0] && (sockJsKey == null || b.length() > 0 && b.getByte(0) == 'a')) {
            got[0] = true;
            vertx.cancelTimer(noMessage);
            vertx.setTimer(hold, t -> socket.close().onComplete(x -> done.tryComplete("ok")));
          }
        });
        socket.closeHandler(v -> {
          vertx.cancelTimer(noMessage);
          done.tryComplete(got[0] ? "closed by the server" : "closed before a message");
        });
        socket.exceptionHandler(e -> { });
        return done.future();
      });
  }

  /**
   * A WebSocket handshake by hand, then (once the upgrade and the first bytes after it are in) either held and cut
   * with a reset, or {@code stalled}: it stops reading at once, so what the server sends piles up, and is cut after
   * the hold. Either way no close frame is ever sent.
   */
  private Future<String> raw(String path, long hold, boolean stalled, Runnable[] close) {
    return net.connect(port, "127.0.0.1").compose(socket -> {
      close[0] = socket::close;
      Promise<String> done = Promise.promise();
      Buffer in = Buffer.buffer();
      boolean[] upgraded = {false};
      long noAnswer = vertx.setTimer(FIRST_MESSAGE_MILLIS, t -> {
        done.tryComplete("no answer");
        socket.close();
      });
      socket.handler(b -> {
        if (upgraded[0]) {
          return;
        }
        in.appendBuffer(b);
        String head = in.toString(StandardCharsets.ISO_8859_1);
        int end = head.indexOf("\r\n\r\n");
        if (end < 0) {
          return;
        }
        if (!head.startsWith("HTTP/1.1 101")) {
          vertx.cancelTimer(noAnswer);
          done.tryComplete("refused " + head.substring(9, Math.min(12, head.length())));
          socket.close();
          return;
        }
        if (!stalled && in.length() == end + 4) {
          return; // wait for the first frame after the upgrade
        }
        upgraded[0] = true;
        vertx.cancelTimer(noAnswer);
        if (stalled) {
          socket.pause();
        }
        vertx.setTimer(hold, t -> socket.close().onComplete(x -> done.tryComplete("ok")));
      });
      socket.closeHandler(v -> {
        vertx.cancelTimer(noAnswer);
        // A socket that stopped reading may be closed by the server as stuck: what it should do.
        done.tryComplete(!upgraded[0] ? "closed before an answer" : stalled ? "ok" : "closed by the server");
      });
      socket.exceptionHandler(e -> { });
      socket.write("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: " + WS_KEY + "\r\nSec-WebSocket-Version: 13\r\n\r\n");
      return done.future();
    });
  }

  /** A GET read to its end; 429 and 503 (a set opening, or too many) are {@code refused}. */
  private Future<String> get(String path, boolean gzip, Runnable[] close) {
    return http.request(HttpMethod.GET, port, "127.0.0.1", path).compose(req -> {
      close[0] = req::reset;
      if (!gzip) {
        req.putHeader("Accept-Encoding", "identity");
      }
      return req.send().compose(resp -> resp.body().map(body -> switch (resp.statusCode()) {
        case 200 -> body.length() > 0 ? "ok" : "empty body";
        case 429, 503 -> "refused";
        default -> "status " + resp.statusCode();
      }));
    });
  }

  public Future<Void> close() {
    return Future.join(ws.close(), http.close(), net.close()).mapEmpty();
  }
}
