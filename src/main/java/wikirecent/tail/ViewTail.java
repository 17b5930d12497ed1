package wikirecent.tail;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import wikirecent.bus.Addresses;
import wikirecent.retry.Backoff;
import wikirecent.bus.LastPublished;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewTable;
import wikirecent.config.Redact;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collector;

/**
 * One parameter set's TAIL on its own connection: bootstrap, {@code BEGIN}, {@code DECLARE}, then
 * {@code FETCH} in a loop; every closed timestamp is published on {@code views.<canonical key>},
 * with the set's {@code params} unless it is the default set. Any failure ends the session; the
 * next one starts after a back-off and opens with a reset snapshot. Published timestamps strictly
 * increase across sessions. Event-loop only.
 */
final class ViewTail {

  private static final Logger log = LoggerFactory.getLogger(ViewTail.class);

  enum State { WAITING, CONNECTING, BOOTSTRAPPING, TAILING, LIVE, STOPPED }

  record Settings(long retryMinMillis, long retryMaxMillis, long stallMillis) {
  }

  /** Hears when the set has a snapshot (each session's first), to know when the source is live. */
  interface Listener {
    void snapshot(ViewTail tail);
  }

  private static final Listener NOBODY = t -> { };
  private static final int MAX_WAITING = 1000; // requests held for a set that has no snapshot yet; more get 503 at once

  private final Vertx vertx;
  private final ServedSets.Served set;
  private final PgConnectOptions options;
  private final TailSql sql;
  private final Settings settings;
  private final TailMeters meters;
  private final Backoff backoff;
  private final ViewTable replica;
  private final SnapshotAnswers answers;
  private final LastPublished published = new LastPublished();
  private final List<Message<Object>> waiting = new ArrayList<>(); // snapshot requests held until the first snapshot
  private final Listener listener;

  private volatile State state = State.WAITING; // also read by the up gauge, from the scraping thread
  private Session current;
  private int sessions;
  private long retryTimer = -1;
  private long watermark = Long.MIN_VALUE; // the largest timestamp any subscriber can have seen
  private String problem = "not started yet";
  private long liveSince = -1;

  ViewTail(Vertx vertx, ServedSets.Served set, PgConnectOptions options, TailSql sql, Settings settings, TailMeters meters,
           WorkerExecutor builders) {
    this(vertx, set, options, sql, settings, meters, builders, NOBODY);
  }

  /** {@code builders}: the threads that put snapshots in the view's order for requests (see {@link SnapshotAnswers}). */
  ViewTail(Vertx vertx, ServedSets.Served set, PgConnectOptions options, TailSql sql, Settings settings, TailMeters meters,
           WorkerExecutor builders, Listener listener) {
    this.vertx = vertx;
    this.set = set;
    this.listener = listener;
    this.options = options;
    this.sql = sql;
    this.settings = settings;
    this.meters = meters;
    this.backoff = new Backoff(settings.retryMinMillis(), settings.retryMaxMillis(), settings.retryMinMillis(), ThreadLocalRandom.current());
    this.replica = new ViewTable(set.viewName());
    this.answers = new SnapshotAnswers(replica, this::withParams, builders, meters.snapshotBuilds);
  }

  void start() {
    current = new Session(++sessions);
    current.open();
  }

  Future<Void> stop() {
    state = State.STOPPED;
    vertx.cancelTimer(retryTimer);
    failWaiting(set.key() + " was closed");
    answers.close(set.key() + " was closed");
    Session s = current;
    current = null;
    return s == null ? Future.succeededFuture() : s.close();
  }

  boolean live() {
    return state == State.LIVE;
  }

  String describe() {
    if (state == State.LIVE) {
      return set.key() + " live at " + replica.timestamp();
    }
    return set.key() + " " + state.name().toLowerCase() + (problem == null ? "" : " (" + problem + ")");
  }

  /** Replies with the latest snapshot; without one yet, 503 at once. */
  void replySnapshot(Message<Object> request) {
    if (replica.hasSnapshot()) {
      answers.ask(request);
    } else {
      request.fail(503, "no snapshot of " + set.key() + " yet: " + describe());
    }
  }

  /**
   * Replies with the latest snapshot; without one yet, when the session's snapshot comes, or with
   * 503 (retry) when the session fails first.
   */
  void replySnapshotWhenReady(Message<Object> request) {
    if (replica.hasSnapshot()) {
      answers.ask(request);
    } else if (waiting.size() < MAX_WAITING) {
      waiting.add(request);
    } else {
      request.fail(503, "no snapshot of " + set.key() + " yet: " + describe());
    }
  }

  private JsonObject withParams(JsonObject message) {
    return set.params() == null ? message : message.put("params", set.params().copy());
  }

  private void failWaiting(String why) {
    List<Message<Object>> requests = new ArrayList<>(waiting);
    waiting.clear();
    for (Message<Object> r : requests) {
      r.fail(503, "no snapshot of " + set.key() + " yet: " + why);
    }
  }

  private void sessionEnded(String why) {
    meters.sessionFailures.increment();
    problem = why;
    if (state == State.STOPPED) {
      return;
    }
    failWaiting(why);
    // A session that stayed up a while earns a quick retry; one that dies right after its
    // snapshot must not turn into a reconnect loop at the shortest delay.
    if (liveSince >= 0 && System.nanoTime() - liveSince >= settings.retryMaxMillis() * 1_000_000) {
      backoff.reset();
    }
    liveSince = -1;
    state = State.WAITING;
    long delay = backoff.afterFailure();
    log.warn("{}: {}; trying again in {} ms (attempt {})", set.key(), why, delay, backoff.attempts());
    retryTimer = vertx.setTimer(delay, id -> start());
  }

  // Published timestamps strictly increase per view, across sessions too: a Materialize that came
  // back with an older frontier gets its times moved just past what subscribers already have.
  private long nextTimestamp(long materializeTime) {
    long ts = Math.max(materializeTime, watermark + 1);
    watermark = ts;
    return ts;
  }

  private void onClosed(TailBatcher.Closed closed) {
    String name = set.viewName();
    switch (closed.kind()) {
      case SNAPSHOT -> {
        long ts = nextTimestamp(closed.timestamp());
        if (ts != closed.timestamp()) {
          log.info("{}: snapshot time {} is not after the last timestamp sent; sending it at {}", set.key(), closed.timestamp(), ts);
        }
        replica.apply(ViewMessage.snapshot(name, ts, closed.inserted()));
        meters.snapshotsPublished.increment(); // counted before anyone sees it
        // Ordered here, on the loop: once per session (a start or a reconnect), and it answers requests until a change.
        JsonObject snapshot = withParams(replica.snapshot());
        vertx.eventBus().publish(Addresses.view(set.key()), published.stamp(snapshot.copy()));
        state = State.LIVE;
        problem = null;
        liveSince = System.nanoTime();
        log.info("{}: snapshot of {} rows at {}, live", set.key(), replica.size(), ts);
        answers.reset(snapshot, ts);
        List<Message<Object>> requests = new ArrayList<>(waiting);
        waiting.clear();
        requests.forEach(answers::ask);
        listener.snapshot(this);
      }
      case BATCH -> {
        JsonObject batch = ViewMessage.batch(name, nextTimestamp(closed.timestamp()), closed.inserted(), closed.deleted());
        if (!replica.apply(batch)) {
          // Half applied: until the next session's snapshot, requests get 503, not a state never published; so do those
          // waiting for a build, whose result would be of it too.
          replica.forget();
          answers.close("a batch of " + set.key() + " did not fit; waiting for the next session's snapshot");
          throw new TailProtocolException("a batch deletes rows the view does not hold: " + closed.deleted().encode());
        }
        answers.changed(ViewMessage.timestamp(batch));
        meters.batchesPublished.increment();
        vertx.eventBus().publish(Addresses.view(set.key()), published.stamp(withParams(batch)));
      }
      case PROGRESS -> {
        // Nothing changed up to here: the replica's snapshot can say so, without a message.
        if (closed.timestamp() > watermark) {
          replica.apply(ViewMessage.batch(name, closed.timestamp(), new JsonArray(), new JsonArray()));
          watermark = closed.timestamp();
        }
      }
    }
  }

  /** One connection and its TAIL; dead once ended, never reused. */
  private final class Session {

    private final int number;
    private final TailBatcher batcher = new TailBatcher(ViewTail.this::onClosed);
    private final TailRowReader reader = new TailRowReader(set.sqlView(), set.columns());
    private PgConnection conn;
    private boolean ended;
    private RuntimeException rowError;
    private long watchdog = -1;

    Session(int number) {
      this.number = number;
    }

    private boolean active() {
      return current == this && !ended;
    }

    void open() {
      state = State.CONNECTING;
      watch("connecting to " + options.getHost() + ":" + options.getPort());
      PgConnection.connect(vertx, options).onComplete(ar -> {
        if (!active()) {
          if (ar.succeeded()) {
            ar.result().close();
          }
          return;
        }
        if (ar.failed()) {
          end("cannot connect to Materialize at " + options.getHost() + ":" + options.getPort() + ": " + message(ar.cause()));
          return;
        }
        conn = ar.result();
        conn.noticeHandler(n -> log.debug("{}: notice {}", set.key(), n.getMessage()));
        conn.exceptionHandler(t -> end("connection error: " + message(t)));
        conn.closeHandler(v -> end("connection closed by Materialize"));
        state = State.BOOTSTRAPPING;
        Future<Void> steps = Future.succeededFuture();
        for (String statement : sql.bootstrap()) {
          steps = steps.compose(v -> run(statement));
        }
        steps.compose(v -> run(sql.begin()))
          .compose(v -> run(sql.declare(set.sqlView())))
          .onSuccess(v -> {
            if (active()) {
              state = State.TAILING;
              meters.sessionsStarted.increment();
              log.info("{}: TAIL {} declared (session {})", set.key(), set.sqlView(), number);
              fetch();
            }
          })
          .onFailure(t -> end(message(t)));
      });
    }

    private Future<Void> run(String statement) {
      if (!active()) {
        return Future.failedFuture("session ended");
      }
      watch(firstLine(statement));
      return conn.query(statement).execute().<Void>mapEmpty().recover(t -> failure(statement, t));
    }

    private void fetch() {
      watch("FETCH");
      Collector<Row, Session, Void> rows = Collector.of(() -> this, (s, row) -> onRow(row), (a, b) -> a, s -> null);
      conn.query(sql.fetch()).collecting(rows).execute().onComplete(ar -> {
        if (!active()) {
          return;
        }
        if (ar.failed()) {
          failure(sql.fetch(), ar.cause()).onFailure(t -> end(message(t)));
          return;
        }
        meters.fetches.increment();
        if (rowError != null) {
          meters.protocolErrors.increment();
          end("unexpected TAIL output: " + rowError.getMessage());
          return;
        }
        fetch();
      });
    }

    private void onRow(Row row) {
      if (!active() || rowError != null) {
        return;
      }
      try {
        (reader.feed(row, batcher) ? meters.progressRows : meters.dataRows).increment();
      } catch (RuntimeException e) {
        rowError = e; // ends the session once the FETCH completes
      }
    }

    private Future<Void> failure(String statement, Throwable t) {
      if (t instanceof PgException pg) {
        meters.sqlErrors.increment();
        log.error("{}: Materialize refused a statement: {} (SQLSTATE {}) in: {}",
          set.key(), pg.getErrorMessage(), pg.getSqlState(), oneLine(statement));
        return Future.failedFuture("SQL error " + pg.getSqlState() + ": " + pg.getErrorMessage() + " in: " + firstLine(statement));
      }
      return Future.failedFuture(t);
    }

    private void watch(String what) {
      vertx.cancelTimer(watchdog);
      watchdog = vertx.setTimer(settings.stallMillis(), id -> {
        if (active()) {
          meters.stalls.increment();
          end(what + ": no answer within " + settings.stallMillis() + " ms");
        }
      });
    }

    void end(String why) {
      if (!active()) {
        return;
      }
      ended = true;
      vertx.cancelTimer(watchdog);
      if (conn != null) {
        conn.close(); // its closeHandler finds the session ended
      }
      sessionEnded(why);
    }

    Future<Void> close() {
      ended = true;
      vertx.cancelTimer(watchdog);
      return conn == null ? Future.succeededFuture() : conn.close();
    }
  }

  /** An error as logs and the status show it: a URL in it loses its credentials. */
  private static String message(Throwable t) {
    return t.getMessage() != null ? Redact.text(t.getMessage()) : t.getClass().getSimpleName();
  }

  private static String firstLine(String statement) {
    int nl = statement.indexOf('\n');
    return nl < 0 ? statement : statement.substring(0, nl) + " ...";
  }

  private static String oneLine(String statement) {
    return statement.replaceAll("\\s+", " ");
  }

  /** The timestamp last published on this set (or null): what a keep-alive reports. */
  Long lastPublished() {
    return published.last(set.key());
  }
}
