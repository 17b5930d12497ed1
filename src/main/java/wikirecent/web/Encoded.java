package wikirecent.web;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import org.slf4j.LoggerFactory;
import wikirecent.bus.Addresses;
import wikirecent.bus.ViewMessage;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A message of one view instance serialized once: the JSON text for the raw WebSocket and REST, the
 * bridge's {@code rec} envelope for SockJS sessions, and that envelope framed for SockJS's WebSocket transport.
 * Every client of a transport gets the very same Buffer.
 */
final class Encoded {

  /** The instance's canonical key ({@code top10}, {@code top10?window=1h}): where the message goes. */
  final String key;
  /** The message's timestamp: the state a client holds once it has this message. */
  final long timestamp;
  final String json;
  /** A whole state (sent to a client that joins or fell behind), not a batch. */
  final boolean snapshot;
  /**
   * For a snapshot built while its instance moved on (batches go out meanwhile): those batches merged, from its
   * timestamp to the state its clients hold. Whoever is sent the snapshot is sent this right after it. Set once, on the
   * event loop, before the snapshot is handed to anyone; null when the snapshot is the state clients hold.
   */
  Encoded since;
  private Buffer text;
  private Buffer envelope;
  private String envelopeText;
  private String sockJsText;
  private Buffer sockJs;
  private static final int NOT_YET = -2;
  private int sockJsBodyFrom = NOT_YET;
  private Future<Buffer> gzipped;
  /**
   * A message longer than this (in characters, so in bytes too) is longer than a WebSocket frame of the node, which
   * keeps Vert.x's default: it goes out in slices of its bytes, never as text, so once its SockJS bytes exist the
   * texts they were made from are not kept (a 4.6 MB snapshot holds three copies, not five).
   */
  private static final int KEEP_TEXTS_UP_TO = HttpServerOptions.DEFAULT_MAX_WEBSOCKET_FRAME_SIZE;

  private Encoded(String key, long timestamp, String json, boolean snapshot) {
    this.key = key;
    this.timestamp = timestamp;
    this.json = json;
    this.snapshot = snapshot;
  }

  static Encoded of(String key, JsonObject message) {
    return new Encoded(key, message.getLong(ViewMessage.TIMESTAMP, -1L), message.encode(), ViewMessage.isSnapshot(message));
  }

  /** The message itself: one text frame of the raw WebSocket, or a REST body. */
  Buffer text() {
    if (text == null) {
      text = Buffer.buffer(json);
    }
    return text;
  }

  /** The event-bus bridge frame delivering this message on {@code views.<key>}. */
  Buffer envelope() {
    if (envelope == null) {
      envelope = Buffer.buffer(envelopeText());
    }
    return envelope;
  }

  /** The {@code a[...]} frame of SockJS's WebSocket transport holding the bridge envelope (its UTF-8 bytes). */
  Buffer sockJsFrame() {
    if (sockJs == null) {
      sockJs = Buffer.buffer(sockJsText());
      if (large()) {
        sockJsText = null;
        envelopeText = null;
      }
    }
    return sockJs;
  }

  /**
   * Makes now every form a client of any transport is sent, so none is made on the event loop later: for a snapshot,
   * which is built on a worker thread.
   */
  Encoded prepared() {
    text();
    sockJsFrame();
    sockJsBodyFrom();
    return this;
  }

  /**
   * Where the message's body begins in {@link #sockJsFrame()}: from there on the frame is the same for a reply
   * holding this message, whatever its address (JSON escapes each character alone, so the body and the frame's
   * close escape the same in any envelope). -1 if the frame does not begin as expected (never seen; callers then
   * build the reply whole).
   */
  int sockJsBodyFrom() {
    if (sockJsBodyFrom == NOT_YET) {
      byte[] head = SockJsWebSocket.messageFrameHead(Bridge.recHead(Addresses.view(key))).getBytes(StandardCharsets.UTF_8);
      Buffer frame = sockJsFrame();
      sockJsBodyFrom = frame.length() >= head.length && Arrays.equals(frame.getBytes(0, head.length), head) ? head.length : -1;
    }
    return sockJsBodyFrom;
  }

  /**
   * The text gzipped ({@link Gzip}), for REST answers of a large snapshot to clients that take it: made on {@code workers}
   * when first asked for, then shared by every answer of this state (a failure too: they get the text). Called on the
   * event loop, and completes there.
   */
  Future<Buffer> gzipped(WorkerExecutor workers, WebMetrics metrics) {
    if (gzipped == null) {
      Context here = Vertx.currentContext();
      Promise<Buffer> done = Promise.promise();
      Buffer plain = text();
      long started = System.nanoTime();
      workers.executeBlocking(() -> Gzip.of(plain), false).onComplete(ar -> here.runOnContext(v -> {
        metrics.gzipped(System.nanoTime() - started);
        if (ar.failed()) {
          LoggerFactory.getLogger(Encoded.class).warn("Could not gzip the snapshot of {}; it goes as it is", key, ar.cause());
        }
        done.handle(ar);
      }));
      gzipped = done.future();
    }
    return gzipped;
  }

  String sockJsText() {
    if (sockJsText == null) {
      sockJsText = SockJsWebSocket.messageFrame(envelopeText());
    }
    return sockJsText;
  }

  /** The bridge envelope's text: what SockJS carries as one string of its {@code a[...]} array. */
  String envelopeText() {
    if (envelopeText == null) {
      envelopeText = Bridge.recText(Addresses.view(key), json);
    }
    return envelopeText;
  }

  int length() {
    return json.length();
  }

  /** Sent in slices of its bytes, never as text, and never framed again with other messages (see {@link FanOut}). */
  boolean large() {
    return json.length() > KEEP_TEXTS_UP_TO;
  }
}
