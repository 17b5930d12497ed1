package wikirecent.status;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import wikirecent.bus.Addresses;
import wikirecent.bus.IngestStatus;
import wikirecent.bus.PartStatus;
import wikirecent.bus.ViewsStatus;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Readiness ({@code /health}): judges the parts this deployment runs. A part is judged when this process
 * runs it (its roles), when it answers its status address from anywhere in the cluster, and the views part
 * also whenever this process runs web (the web part has nothing to show without a view source). A part that
 * is judged must say it is live; one that is not judged (e.g. no ingest here nor anywhere in the cluster,
 * because Materialize is fed by another writer) does not count. The body names the parts judged.
 */
public final class Health {

  /** A part that reports on the bus: its name, its address, and how its answer is read. */
  private record BusPart(String name, String address, Function<Object, PartStatus> parse) {
  }

  private static final List<BusPart> BUS_PARTS = List.of(
    new BusPart(IngestStatus.PART, Addresses.STATUS_INGEST, IngestStatus::fromJson),
    new BusPart(ViewsStatus.PART, Addresses.STATUS_VIEWS, ViewsStatus::fromJson));

  /**
   * One part's verdict. {@code judged} false: the part is not in this deployment (then {@code live} means
   * nothing). {@code extra} is added to the part's entry in the body (the web part's replicas).
   */
  public record Verdict(String part, boolean judged, boolean live, String detail, JsonObject extra) {

    /** A part judged in this process, without asking the bus (the web part). */
    public static Verdict local(String part, boolean live, String detail, JsonObject extra) {
      return new Verdict(part, true, live, detail, extra);
    }

    JsonObject toJson() {
      JsonObject json = judged ? new JsonObject().put("live", live) : new JsonObject().put("judged", false);
      json.put("detail", detail);
      return extra == null ? json : json.mergeIn(extra);
    }
  }

  /** The answer: 200 when {@code ready}, else 503; {@code body} says why. */
  public record Report(boolean ready, JsonObject body) {
  }

  private final Vertx vertx;
  private final List<String> roles;
  private final long timeoutMillis;

  public Health(Vertx vertx, Set<String> roles, long timeoutMillis) {
    this.vertx = vertx;
    this.roles = List.copyOf(roles); // in the order configured, for the body
    this.timeoutMillis = timeoutMillis;
  }

  /** The bus parts' verdicts, then {@code local} ones, in one report; never fails. */
  public Future<Report> report(List<Verdict> local) {
    List<Future<Verdict>> asks = BUS_PARTS.stream().map(this::judge).toList();
    return Future.join(asks).transform(ar -> {
      List<Verdict> all = new ArrayList<>();
      asks.forEach(f -> all.add(f.result()));
      all.addAll(local);
      return Future.succeededFuture(report(all, roles));
    });
  }

  static Report report(List<Verdict> verdicts, List<String> roles) {
    JsonArray judged = new JsonArray();
    List<String> notLive = new ArrayList<>();
    JsonObject parts = new JsonObject();
    for (Verdict v : verdicts) {
      parts.put(v.part(), v.toJson());
      if (v.judged()) {
        judged.add(v.part());
        if (!v.live()) {
          notLive.add(v.part() + " " + v.detail());
        }
      }
    }
    boolean ready = notLive.isEmpty();
    JsonObject body = new JsonObject().put("status", ready ? "ready" : "not ready");
    if (!ready) {
      body.put("reason", String.join("; ", notLive));
    }
    body.put("roles", new JsonArray(roles)).put("judged", judged);
    return new Report(ready, body.mergeIn(parts));
  }

  private Future<Verdict> judge(BusPart part) {
    boolean required = roles.contains(part.name()) || part.name().equals(ViewsStatus.PART) && roles.contains("web");
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(timeoutMillis);
    return vertx.eventBus().request(part.address(), null, options).transform(ar -> {
      if (ar.succeeded()) {
        try {
          PartStatus s = part.parse().apply(ar.result().body());
          return Future.succeededFuture(new Verdict(part.name(), true, s.live(), s.detail(), null));
        } catch (IllegalArgumentException e) {
          return Future.succeededFuture(new Verdict(part.name(), true, false, "answered something that is not a status: " + e.getMessage(), null));
        }
      }
      Throwable cause = ar.cause();
      if (cause instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
        if (required) {
          return Future.succeededFuture(new Verdict(part.name(), true, false, "not running", null));
        }
        return Future.succeededFuture(new Verdict(part.name(), false, false,
          "not in this deployment: not among this process's roles, and nothing in the cluster answers " + part.address(), null));
      }
      if (cause instanceof ReplyException re && re.failureType() == ReplyFailure.TIMEOUT) {
        return Future.succeededFuture(new Verdict(part.name(), true, false, "no answer within " + timeoutMillis + " ms", null));
      }
      return Future.succeededFuture(new Verdict(part.name(), true, false, "failed to answer: " + cause.getMessage(), null));
    });
  }
}
