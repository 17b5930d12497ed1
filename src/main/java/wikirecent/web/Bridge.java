package wikirecent.web;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import wikirecent.bus.Addresses;
import wikirecent.bus.Views;

/**
 * The Vert.x event-bus bridge wire protocol (what {@code @vertx/eventbus-bridge-client.js} and
 * vertx-web's own bridge speak), reduced to what a dashboard may do. Client frames:
 * {@code {"type":"register"|"unregister","address":...}}, {@code {"type":"send","address":...,
 * "replyAddress":...,"body":...}}, {@code {"type":"ping"}}. Server frames:
 * {@code {"type":"rec","address":...,"body":...}} and {@code {"type":"err",...}}.
 */
final class Bridge {

  /** The stock client's reply addresses are UUIDs; anything much longer is not a reply address. */
  static final int MAX_REPLY_ADDRESS_LENGTH = 36;

  static final String ACCESS_DENIED = "access_denied";

  private Bridge() {
  }

  /** The view whose {@code views.<view>} address this is, or null: only exact known addresses pass. */
  static String viewOfAddress(String address) {
    for (Views v : Views.values()) {
      if (Addresses.view(v.viewName()).equals(address)) {
        return v.viewName();
      }
    }
    return null;
  }

  /** The view whose {@code views.<view>.snapshot} address this is, or null. */
  static String viewOfSnapshotAddress(String address) {
    for (Views v : Views.values()) {
      if (Addresses.snapshot(v.viewName()).equals(address)) {
        return v.viewName();
      }
    }
    return null;
  }

  /** A delivery: {@code bodyJson} is already-encoded JSON, pasted in so it is not encoded again. */
  static Buffer rec(String address, String bodyJson) {
    return Buffer.buffer("{\"type\":\"rec\",\"address\":" + Json.encode(address) + ",\"body\":" + bodyJson + "}");
  }

  /**
   * A refusal or failure. {@code address} (may be null) routes it in the client: the reply
   * address of a refused request, the address of a refused registration. {@code body} repeats
   * the reason where vertx-web's bridge puts it.
   */
  static Buffer err(String address, int failureCode, String failureType, String message) {
    JsonObject err = new JsonObject().put("type", "err");
    if (address != null) {
      err.put("address", address);
    }
    err.put("failureCode", failureCode).put("failureType", failureType).put("message", message).put("body", message);
    return err.toBuffer();
  }
}
