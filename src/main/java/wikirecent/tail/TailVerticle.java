package wikirecent.tail;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import wikirecent.bus.Addresses;
import wikirecent.config.Config;
import wikirecent.config.Redact;
import wikirecent.bus.Views;
import wikirecent.bus.ViewsStatus;
import wikirecent.status.Meters;
import wikirecent.status.Metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The {@code views} part with {@code source=materialize}: one {@link ViewTail} per view, each on
 * its own connection, publishing what Materialize's TAIL says in the one message shape, and
 * answering snapshot and status requests. Starts at once; Materialize may come later.
 */
public class TailVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(TailVerticle.class);

  private final List<ViewTail> tails = new ArrayList<>();
  private Meters meters;
  private String where;

  @Override
  public Future<?> start() {
    Config config = Config.of(config());
    PgConnectOptions options;
    try {
      options = connectOptions(config.string(Config.MATERIALIZE_URL));
    } catch (IllegalArgumentException e) {
      // the client's message quotes the whole URL, password and all
      return Future.failedFuture(Config.MATERIALIZE_URL + " is not a postgresql:// URL: " + Redact.text(e.getMessage()));
    }
    where = options.getHost() + ":" + options.getPort() + "/" + options.getDatabase();
    ViewTail.Settings settings = new ViewTail.Settings(
      config.longValue(Config.MATERIALIZE_RETRY_MIN_MILLIS),
      config.longValue(Config.MATERIALIZE_RETRY_MAX_MILLIS),
      config.longValue(Config.MATERIALIZE_STALL_MILLIS));
    TailSql sql = TailSql.load();
    meters = new Meters(Metrics.registry(vertx));

    List<Future<Void>> registered = new ArrayList<>();
    for (Views view : Views.values()) {
      ViewTail tail = new ViewTail(vertx, view, options, sql, settings, new TailMeters(meters, view.viewName()));
      tails.add(tail);
      MessageConsumer<Object> consumer = vertx.eventBus().consumer(Addresses.snapshot(view.viewName()), tail::replySnapshot);
      registered.add(consumer.completion());
    }
    meters.gauge("wikirecent.views.up", "1 when the view source is live (every view's TAIL has its snapshot)", List.copyOf(tails),
      all -> all.stream().allMatch(ViewTail::live) ? 1 : 0);
    registered.add(vertx.eventBus().consumer(Addresses.STATUS_VIEWS, msg -> msg.reply(status())).completion());
    return Future.all(registered).onSuccess(x -> {
      log.info("Tailing {} views on Materialize at {}", tails.size(), where);
      tails.forEach(ViewTail::start);
    });
  }

  private static PgConnectOptions connectOptions(String url) {
    PgConnectOptions options = PgConnectOptions.fromUri(url);
    options.setReconnectAttempts(0); // only covers the first connect; ViewTail reconnects itself
    if ("vertx-pg-client".equals(options.getProperties().get("application_name"))) {
      options.addProperty("application_name", "wikirecent-tail"); // how our sessions show in Materialize
    }
    if (options.getSslMode() != SslMode.DISABLE && options.getSslOptions() == null) {
      // ?sslmode=... in the URL: TLS with the JVM's trust store (the client has no default and would fail).
      options.setSslOptions(new ClientSSLOptions()
        .setHostnameVerificationAlgorithm(options.getSslMode() == SslMode.VERIFY_FULL ? "HTTPS" : ""));
    }
    return options;
  }

  @Override
  public Future<?> stop() {
    meters.close();
    return Future.join(tails.stream().map(ViewTail::stop).collect(Collectors.toList()));
  }

  private JsonObject status() {
    boolean live = tails.stream().allMatch(ViewTail::live);
    String detail = "Materialize at " + where + ": " + tails.stream().map(ViewTail::describe).collect(Collectors.joining(", "));
    return new ViewsStatus(live, "materialize", detail).toJson();
  }
}
