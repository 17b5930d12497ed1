package wikirecent.web;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The web node's side of the shaped-views contract, as much as the dashboard uses, for browser
 * tests until the web part serves it: the page's files (from the classpath, under the production
 * Content-Security-Policy), the SockJS client WebJar, and {@code /eventbus} speaking the bridge
 * protocol. A registration on {@code views.<canonical key>} follows that address on the bus (and
 * opens a shaped instance, its 429/501 coming back as an {@code err} frame on that address); a
 * send to {@code views.<view>.snapshot[?query]} asks the source with the params object. Anything
 * that is not a canonical key of an offered view is {@code err} 403 access_denied. Unlike the real
 * node it keeps no replica: each page's registration is its own consumer, which is all a test needs.
 * It records which addresses the open pages hold, so a test can check what the page follows.
 */
final class ShapedBridgeNode {

  private final Vertx vertx;
  private final Set<String> denied = ConcurrentHashMap.newKeySet();
  /** Each open page's registrations, by a token per socket (a map's own equality changes as it fills). */
  private final Map<Object, Map<String, MessageConsumer<JsonObject>>> sockets = new ConcurrentHashMap<>();
  private final List<String> log = Collections.synchronizedList(new ArrayList<>());
  private HttpServer server;

  private ShapedBridgeNode(Vertx vertx) {
    this.vertx = vertx;
  }

  static Future<ShapedBridgeNode> start(Vertx vertx) {
    ShapedBridgeNode node = new ShapedBridgeNode(vertx);
    return vertx.createHttpServer().requestHandler(node.router()).listen(0).map(s -> {
      node.server = s;
      return node;
    });
  }

  int port() {
    return server.actualPort();
  }

  String url(String pathAndQuery) {
    return "http://localhost:" + port() + pathAndQuery;
  }

  /** From now on this view is refused as a node that does not offer it refuses it. */
  void deny(String view) {
    denied.add(view);
  }

  /** The addresses the open pages are registered on now. */
  Set<String> registered() {
    Set<String> all = new TreeSet<>();
    for (Map<String, MessageConsumer<JsonObject>> s : sockets.values()) {
      all.addAll(s.keySet());
    }
    return all;
  }

  /** Every register and unregister the pages sent, in order ("register views.top10"). */
  List<String> log() {
    synchronized (log) {
      return new ArrayList<>(log);
    }
  }

  Future<Void> stop() {
    return server.close();
  }

  private Router router() {
    Router router = Router.router(vertx);
    PageFiles page = PageFiles.fromClasspath(vertx, "/", "webroot", 0);
    PageFiles webjars = PageFiles.fromClasspath(vertx, "/webjars/", "META-INF/resources/webjars", 0);
    SockJSHandlerOptions options = new SockJSHandlerOptions().setInsertJSESSIONID(false).setLibraryURL(WebVerticle.SOCKJS_URL);
    router.post("/eventbus/*").handler(BodyHandler.create().setBodyLimit(64 * 1024));
    router.route("/eventbus/*").subRouter(SockJSHandler.create(vertx, options).socketHandler(this::socket));
    router.route("/webjars/*").handler(webjars::handle);
    router.route("/*").handler(rc -> {
      rc.response()
        .putHeader("Content-Security-Policy", WebVerticle.CONTENT_SECURITY_POLICY)
        .putHeader("X-Content-Type-Options", "nosniff");
      rc.next();
    }).handler(page::handle);
    return router;
  }

  private void socket(SockJSSocket socket) {
    Map<String, MessageConsumer<JsonObject>> registrations = new ConcurrentHashMap<>();
    Object token = new Object();
    sockets.put(token, registrations);
    socket.handler(data -> frame(socket, registrations, data));
    socket.closeHandler(v -> {
      sockets.remove(token);
      registrations.values().forEach(MessageConsumer::unregister);
    });
  }

  private void frame(SockJSSocket socket, Map<String, MessageConsumer<JsonObject>> registrations, Buffer data) {
    JsonObject frame;
    try {
      frame = data.toJsonObject();
    } catch (RuntimeException e) {
      socket.write(err(null, 403, "invalid_json", "invalid_json"));
      return;
    }
    String type = frame.getString("type", "");
    String address = frame.getValue("address") instanceof String a ? a : null;
    switch (type) {
      case "ping" -> {
      }
      case "register" -> {
        String key = keyOf(address);
        if (key == null) {
          socket.write(err(address, 403, "access_denied", "access_denied"));
          return;
        }
        log.add("register " + address);
        registrations.computeIfAbsent(address, a -> vertx.eventBus().<JsonObject>consumer(a, m -> {
          JsonObject body = m.body().copy();
          body.remove("previous"); // the bus's bookkeeping, not for browsers
          socket.write(rec(a, body));
        }));
        if (key.contains("?")) {
          // Opening the instance: a refusal to open (429, 501) goes back on the registered address.
          ask(key).onFailure(e -> {
            if (e instanceof ReplyException re && (re.failureCode() == 429 || re.failureCode() == 501)) {
              socket.write(failure(address, e));
            }
          });
        }
      }
      case "unregister" -> {
        log.add("unregister " + address);
        MessageConsumer<JsonObject> c = address == null ? null : registrations.remove(address);
        if (c != null) {
          c.unregister();
        }
      }
      case "send" -> {
        String reply = frame.getValue("replyAddress") instanceof String r && r.length() <= 36 ? r : null;
        String key = snapshotKeyOf(address);
        if (key == null || reply == null) {
          socket.write(err(reply, 403, "access_denied", "access_denied"));
          return;
        }
        ask(key).onComplete(ar -> socket.write(ar.succeeded()
          ? rec(reply, ar.result()) : failure(reply, ar.cause())));
      }
      default -> socket.write(err(null, 403, "invalid_type", "invalid_type"));
    }
  }

  /** The snapshot of key from the source: views.<view>.snapshot with the params object (null for the default set). */
  private Future<JsonObject> ask(String key) {
    int q = key.indexOf('?');
    String view = q < 0 ? key : key.substring(0, q);
    Object body = q < 0 ? null : ShapedScriptedSource.paramsOf(key);
    return vertx.eventBus().<JsonObject>request("views." + view + ".snapshot", body).map(m -> m.body());
  }

  /** The canonical key of a views.<key> address this node offers, or null. */
  private String keyOf(String address) {
    if (address == null || !address.startsWith("views.")) {
      return null;
    }
    String key = address.substring("views.".length());
    return offered(key) ? key : null;
  }

  /** The key of a views.<view>.snapshot[?query] address this node offers, or null. */
  private String snapshotKeyOf(String address) {
    if (address == null || !address.startsWith("views.")) {
      return null;
    }
    int q = address.indexOf('?');
    String base = q < 0 ? address : address.substring(0, q);
    if (!base.endsWith(".snapshot")) {
      return null;
    }
    String key = base.substring("views.".length(), base.length() - ".snapshot".length()) + (q < 0 ? "" : address.substring(q));
    return offered(key) ? key : null;
  }

  private boolean offered(String key) {
    int q = key.indexOf('?');
    return ShapedScriptedSource.canonical(key) && !denied.contains(q < 0 ? key : key.substring(0, q));
  }

  private static Buffer rec(String address, JsonObject body) {
    return new JsonObject().put("type", "rec").put("address", address).put("body", body).toBuffer();
  }

  /** A source's refusal keeps its code (400, 429, 501, 503); no answer at all is a 503. */
  private static Buffer failure(String address, Throwable e) {
    if (e instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
      return err(address, re.failureCode(), "RECIPIENT_FAILURE", re.getMessage());
    }
    return err(address, 503, "RECIPIENT_FAILURE", String.valueOf(e.getMessage()));
  }

  private static Buffer err(String address, int code, String type, String message) {
    JsonObject err = new JsonObject().put("type", "err");
    if (address != null) {
      err.put("address", address);
    }
    return err.put("failureCode", code).put("failureType", type).put("message", message).put("body", message).toBuffer();
  }
}
