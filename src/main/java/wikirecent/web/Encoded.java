package wikirecent.web;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import wikirecent.bus.Addresses;
import wikirecent.bus.ViewMessage;

/**
 * A view message serialized once: the JSON text for the raw WebSocket and REST, and the bridge's
 * {@code rec} envelope for SockJS. Every client of a transport gets the very same Buffer.
 */
final class Encoded {

  final String view;
  final String json;
  private Buffer text;
  private Buffer envelope;

  private Encoded(String view, String json) {
    this.view = view;
    this.json = json;
  }

  static Encoded of(JsonObject message) {
    return new Encoded(ViewMessage.view(message), message.encode());
  }

  /** The message itself: one text frame of the raw WebSocket, or a REST body. */
  Buffer text() {
    if (text == null) {
      text = Buffer.buffer(json);
    }
    return text;
  }

  /** The event-bus bridge frame delivering this message on {@code views.<view>}. */
  Buffer envelope() {
    if (envelope == null) {
      envelope = Bridge.rec(Addresses.view(view), json);
    }
    return envelope;
  }

  int length() {
    return json.length();
  }
}
