package wikirecent.web;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import wikirecent.bus.Addresses;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Asks the other parts how they are ({@code status.ingest}, {@code status.views}: request/reply,
 * each answering {@code {"part":..,"live":bool,"detail":"..","counters":{"name":number}}}) for
 * {@code /health} and {@code /metrics}. A part that does not answer is reported, not waited for.
 */
final class PartStatus {

  /** The parts asked, by the name used in {@code /health} and in metric names. */
  static final Map<String, String> PARTS = partAddresses();

  private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

  private final Vertx vertx;
  private final long timeoutMillis;

  PartStatus(Vertx vertx, long timeoutMillis) {
    this.vertx = vertx;
    this.timeoutMillis = timeoutMillis;
  }

  private static Map<String, String> partAddresses() {
    Map<String, String> parts = new LinkedHashMap<>();
    parts.put("ingest", Addresses.STATUS_INGEST);
    parts.put("views", Addresses.STATUS_VIEWS);
    return parts;
  }

  /** Every part's status, in {@link #PARTS} order; never fails. */
  Future<Map<String, JsonObject>> all() {
    List<String> names = List.copyOf(PARTS.keySet());
    List<Future<JsonObject>> asks = names.stream().map(n -> ask(PARTS.get(n))).toList();
    return Future.join(asks).transform(ar -> {
      Map<String, JsonObject> out = new LinkedHashMap<>();
      for (int i = 0; i < names.size(); i++) {
        out.put(names.get(i), asks.get(i).result());
      }
      return Future.succeededFuture(out);
    });
  }

  /** One part's answer, or a made-up "not live" status saying why there is none. */
  Future<JsonObject> ask(String address) {
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(timeoutMillis);
    return vertx.eventBus().request(address, null, options).transform(ar -> {
      if (ar.succeeded() && ar.result().body() instanceof JsonObject) {
        JsonObject body = (JsonObject) ar.result().body();
        boolean live = Boolean.TRUE.equals(body.getValue("live"));
        return Future.succeededFuture(new JsonObject()
          .put("live", live)
          .put("detail", String.valueOf(body.getValue("detail", live ? "live" : "not live")))
          .put("counters", body.getValue("counters") instanceof JsonObject ? body.getJsonObject("counters") : new JsonObject())
          .put("gauges", body.getValue("gauges") instanceof JsonObject ? body.getJsonObject("gauges") : new JsonObject()));
      }
      return Future.succeededFuture(new JsonObject().put("live", false).put("detail", why(ar.succeeded() ? null : ar.cause())));
    });
  }

  private String why(Throwable cause) {
    if (cause == null) {
      return "answered something that is not a status";
    }
    if (cause instanceof ReplyException) {
      ReplyFailure f = ((ReplyException) cause).failureType();
      if (f == ReplyFailure.NO_HANDLERS) {
        return "not running";
      }
      if (f == ReplyFailure.TIMEOUT) {
        return "no answer within " + timeoutMillis + " ms";
      }
    }
    return "failed to answer: " + cause.getMessage();
  }

  /**
   * The parts' numbers as Prometheus text: {@code wikirecent_<part>_<name>}, counters as
   * counters, an optional {@code gauges} object as gauges, plus {@code wikirecent_<part>_up}.
   * Names that are not valid metric names are left out.
   */
  static String prometheus(Map<String, JsonObject> statuses) {
    StringBuilder sb = new StringBuilder();
    statuses.forEach((part, status) -> {
      line(sb, "wikirecent_" + part + "_up", "gauge", "1 when the " + part + " part answers its status as live",
        status.getBoolean("live") ? 1 : 0);
      for (String kind : new String[]{"counters", "gauges"}) {
        JsonObject values = status.getJsonObject(kind, new JsonObject());
        for (String name : values.fieldNames()) {
          Object v = values.getValue(name);
          if (v instanceof Number && METRIC_NAME.matcher(name).matches()) {
            line(sb, "wikirecent_" + part + "_" + name, kind.equals("counters") ? "counter" : "gauge",
              part + " " + name.replace('_', ' ') + " (from " + PARTS.get(part) + ")", (Number) v);
          }
        }
      }
    });
    return sb.toString();
  }

  private static void line(StringBuilder sb, String name, String type, String help, Number value) {
    sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
    sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    sb.append(name).append(' ').append(value).append('\n');
  }
}
