package wikirecent.web;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import wikirecent.bus.Addresses;
import wikirecent.bus.ViewParams;

import java.nio.charset.StandardCharsets;

/**
 * The Vert.x event-bus bridge wire protocol (what {@code @vertx/eventbus-bridge-client.js} and
 * vertx-web's own bridge speak), reduced to what a dashboard may do, and the only addresses it may name:
 * {@code views.<canonical key>} and {@code views.<view>.snapshot[?<canonical query>]}. Client frames:
 * {@code {"type":"register"|"unregister","address":...}}, {@code {"type":"send","address":...,
 * "replyAddress":...,"body":...}}, {@code {"type":"ping"}}. Server frames:
 * {@code {"type":"rec","address":...,"body":...}} and {@code {"type":"err",...}}.
 */
final class Bridge {

  /** The stock client's reply addresses are UUIDs; anything much longer is not a reply address. */
  static final int MAX_REPLY_ADDRESS_LENGTH = 36;

  static final String ACCESS_DENIED = "access_denied";
  static final String BAD_PARAMS = "bad_params";
  static final String NOT_CANONICAL = "not_canonical";
  private static final String VIEWS = "views.";
  private static final String SNAPSHOT = ".snapshot";

  private Bridge() {
  }

  /**
   * The instance whose {@code views.<canonical key>} address this is ({@code views.top10},
   * {@code views.top10?bot=false&window=1h}). Throws {@link Refused}: {@link #ACCESS_DENIED} unless it is
   * {@code views.} and a known view; {@link #BAD_PARAMS} for parameters the view does not take;
   * {@link #NOT_CANONICAL}, naming the canonical address, for a key written another way.
   */
  static ViewParams instanceOfAddress(String address) {
    String key = viewsSuffix(address);
    int q = key.indexOf('?');
    String name = q < 0 ? key : key.substring(0, q);
    ViewParams p = parse(name, key.substring(name.length()));
    if (!p.toString().equals(key)) {
      throw new Refused(NOT_CANONICAL, "not the canonical address of this instance: use " + Addresses.view(p.toString()));
    }
    return p;
  }

  /**
   * The instance whose snapshot address this is: {@code views.<view>.snapshot} followed by the canonical
   * query, if any ({@code views.top10.snapshot?window=1h}). Throws {@link Refused} as {@link #instanceOfAddress}.
   */
  static ViewParams instanceOfSnapshotAddress(String address) {
    String rest = viewsSuffix(address);
    int q = rest.indexOf('?');
    String head = q < 0 ? rest : rest.substring(0, q);
    if (!head.endsWith(SNAPSHOT)) {
      throw new Refused(ACCESS_DENIED, ACCESS_DENIED);
    }
    String name = head.substring(0, head.length() - SNAPSHOT.length());
    String query = rest.substring(head.length());
    ViewParams p = parse(name, query);
    if (!(name + query).equals(p.toString())) {
      throw new Refused(NOT_CANONICAL, "not the canonical address of this instance's snapshot: use " + snapshotAddress(p));
    }
    return p;
  }

  /** Where a bridge client asks for an instance's snapshot: {@code views.top10.snapshot?window=1h}. */
  static String snapshotAddress(ViewParams p) {
    String key = p.toString();
    String name = p.view().viewName();
    return Addresses.snapshot(name) + key.substring(name.length());
  }

  private static String viewsSuffix(String address) {
    if (!address.startsWith(VIEWS)) {
      throw new Refused(ACCESS_DENIED, ACCESS_DENIED);
    }
    return address.substring(VIEWS.length());
  }

  /** {@code query} is empty or starts with {@code ?}. */
  private static ViewParams parse(String name, String query) {
    try {
      ViewParams.View.byName(name);
    } catch (IllegalArgumentException e) {
      throw new Refused(ACCESS_DENIED, ACCESS_DENIED); // no echo of names that are not views
    }
    try {
      return ViewParams.parse(name + query);
    } catch (IllegalArgumentException e) {
      throw new Refused(BAD_PARAMS, e.getMessage());
    }
  }

  /** An address a browser may not use, and why: an {@code err} frame's failureType and message. */
  static final class Refused extends RuntimeException {
    final String type;

    Refused(String type, String message) {
      super(message, null, false, false);
      this.type = type;
    }

    /** 403 for an address that is none of a view's; 400 for one of a view's, written wrong. */
    int code() {
      return type.equals(ACCESS_DENIED) ? 403 : 400;
    }
  }

  /** A delivery: {@code bodyJson} is already-encoded JSON, pasted in so it is not encoded again. */
  static Buffer rec(String address, String bodyJson) {
    return Buffer.buffer(recText(address, bodyJson));
  }

  static String recText(String address, String bodyJson) {
    return recHead(address) + bodyJson + "}";
  }

  /** The UTF-8 length of {@link #rec} for a body of {@code bodyBytes} bytes, without making it. */
  static int recLength(String address, int bodyBytes) {
    return recHead(address).getBytes(StandardCharsets.UTF_8).length + bodyBytes + 1;
  }

  /** What a delivery to {@code address} holds before its body. */
  static String recHead(String address) {
    return "{\"type\":\"rec\",\"address\":" + Json.encode(address) + ",\"body\":";
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
