package wikirecent.web;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import wikirecent.bus.Addresses;
import wikirecent.bus.ViewMessage;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.zip.GZIPOutputStream;

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
  private Buffer text;
  private Future<Buffer> gzip;
  private Buffer envelope;
  private String envelopeText;
  private String sockJsText;
  private Buffer sockJs;

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

  /**
   * The message gzipped, for a REST client that accepts it: compressed on a worker thread once, when first asked
   * for, and shared by every request of the same state. Called on the web event loop only.
   */
  Future<Buffer> gzip(Vertx vertx) {
    if (gzip == null) {
      Buffer plain = text();
      gzip = vertx.executeBlocking(() -> gzipped(plain), false);
    }
    return gzip;
  }

  private static Buffer gzipped(Buffer plain) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(Math.max(64, plain.length() / 5));
    try (GZIPOutputStream out = new GZIPOutputStream(bytes, 1 << 16)) {
      out.write(plain.getBytes());
    }
    return Buffer.buffer(bytes.toByteArray());
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
    }
    return sockJs;
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
}
