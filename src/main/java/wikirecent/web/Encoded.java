package wikirecent.web;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import wikirecent.bus.Addresses;

/**
 * A message of one view instance serialized once: the JSON text for the raw WebSocket and REST, and the
 * bridge's {@code rec} envelope for SockJS. Every client of a transport gets the very same Buffer.
 */
final class Encoded {

  /** The instance's canonical key ({@code top10}, {@code top10?window=1h}): where the message goes. */
  final String key;
  final String json;
  private Buffer text;
  private Buffer envelope;

  private Encoded(String key, String json) {
    this.key = key;
    this.json = json;
  }

  static Encoded of(String key, JsonObject message) {
    return new Encoded(key, message.encode());
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
      envelope = Bridge.rec(Addresses.view(key), json);
    }
    return envelope;
  }

  int length() {
    return json.length();
  }
}
