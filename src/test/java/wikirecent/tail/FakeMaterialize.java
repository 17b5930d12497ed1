package wikirecent.tail;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in for Materialize v0.26 on the PostgreSQL v3 wire protocol, for tests: a Vert.x
 * NetServer on an ephemeral port that speaks the start-up (SSLRequest answered 'N',
 * StartupMessage, AuthenticationOk, ParameterStatus, BackendKeyData, ReadyForQuery) and the
 * simple query protocol ('Q'). It records every statement, keeps a catalog so {@code IF NOT
 * EXISTS} and "unknown catalog item" behave, enforces that a cursor lives in a transaction, and
 * answers {@code FETCH ALL c WITH (timeout='1s')} on a {@code TAIL ... WITH (PROGRESS)} cursor
 * with what a {@link TailSource} says, in TEXT format as Materialize sends it: {@code
 * mz_timestamp} numeric, {@code mz_progressed} bool, {@code mz_diff} int8 (NULL on progress
 * rows), then the view's columns (NULL on progress rows).
 * <p>
 * Anything else the client sends (the extended protocol, other SQL) is answered with an error
 * and recorded in {@link #unexpected()}, so a test sees it.
 */
final class FakeMaterialize {

  /** One row of TAIL output. {@code diff} is null on progress rows, and so are the values. */
  record TailRow(long timestamp, boolean progressed, Long diff, List<Object> values) {
    static TailRow data(long timestamp, long diff, Object... values) {
      List<Object> list = new ArrayList<>();
      for (Object v : values) {
        list.add(v);
      }
      return new TailRow(timestamp, false, diff, list);
    }

    static TailRow progress(long timestamp) {
      return new TailRow(timestamp, true, null, null);
    }
  }

  /** What one FETCH gets. */
  sealed interface Fetch permits Rows, Empty, Drop, Error, Stall {
  }

  /** Rows ready now. */
  record Rows(List<TailRow> rows) implements Fetch {
  }

  /** Nothing within the timeout: {@code FETCH 0}. */
  record Empty() implements Fetch {
  }

  /** The connection is cut after sending {@code partial} rows (and no CommandComplete). */
  record Drop(List<TailRow> partial) implements Fetch {
  }

  /** An ErrorResponse; the transaction is then failed, as in PostgreSQL. */
  record Error(String sqlState, String message) implements Fetch {
  }

  /** No answer at all, ever (a half-open connection). */
  record Stall() implements Fetch {
  }

  /** Decides what each FETCH on a TAIL cursor returns. Called on the server's event loop. */
  interface TailSource {
    /** A TAIL was declared on {@code view}: a new session starts (with its snapshot). */
    void declared(String view);

    /** The answer to the next FETCH on {@code view}, or null if nothing is ready yet. */
    Fetch next(String view);
  }

  record Statement(int connection, String sql) {
  }

  private static final int SSL_REQUEST = 80877103;
  private static final int PROTOCOL_3 = 196608;
  private static final int OID_BOOL = 16;
  private static final int OID_INT8 = 20;
  private static final int OID_TEXT = 25;
  private static final int OID_NUMERIC = 1700;

  private static final Pattern CREATE = Pattern.compile(
    "(?is)CREATE\\s+(SOURCE|VIEW|MATERIALIZED\\s+VIEW)\\s+(IF\\s+NOT\\s+EXISTS\\s+)?(\\w+)\\b.*");
  private static final Pattern DECLARE = Pattern.compile(
    "(?is)DECLARE\\s+(\\w+)\\s+CURSOR\\s+FOR\\s+TAIL\\s+(\\w+)\\s+WITH\\s*\\(\\s*PROGRESS\\s*\\)");
  private static final Pattern FETCH = Pattern.compile(
    "(?is)FETCH\\s+ALL\\s+(\\w+)\\s+WITH\\s*\\(\\s*timeout\\s*=\\s*'(\\d+)(ms|s)'\\s*\\)");

  private final Vertx vertx;
  private final TailSource source;
  private final List<Statement> statements = new CopyOnWriteArrayList<>();
  private final List<String> unexpected = new CopyOnWriteArrayList<>();
  private final List<Map<String, String>> startups = new CopyOnWriteArrayList<>();
  private final Set<String> catalog = ConcurrentHashMap.newKeySet();
  private final Map<String, Error> failures = new ConcurrentHashMap<>();
  private final Set<NetSocket> sockets = ConcurrentHashMap.newKeySet();
  private final Map<String, List<Column>> columns = new ConcurrentHashMap<>();
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger sslRequests = new AtomicInteger();
  private final Map<Integer, String> tails = new ConcurrentHashMap<>(); // open connection -> the view its cursor tails
  private volatile long idleMillis = 20;
  private NetServer server;
  private int port;

  record Column(String name, int oid) {
  }

  FakeMaterialize(Vertx vertx, TailSource source) {
    this.vertx = vertx;
    this.source = source;
  }

  // A view's columns as sql/views.sql gives them: by the view's name (its set views share their view's).
  private List<Column> columnsOf(String view) {
    List<Column> set = columns.get(view);
    if (set != null) {
      return set;
    }
    Column count = new Column("count", OID_INT8);
    if (view.startsWith("counter")) {
      return List.of(count);
    }
    if (view.equals("user_edits") || view.startsWith("top10")) {
      return List.of(new Column("user", OID_TEXT), count);
    }
    if (view.startsWith("top_wikis") || view.equals("wiki_edits")) {
      return List.of(new Column("wiki", OID_TEXT), count);
    }
    if (view.equals("edits_per_minute")) {
      return List.of(new Column("minute", OID_INT8), new Column("bot", OID_BOOL), count);
    }
    return null;
  }

  /** Listens on {@code port} (0: an ephemeral one). */
  Future<FakeMaterialize> start(int port) {
    server = vertx.createNetServer().connectHandler(this::accept);
    return server.listen(port, "127.0.0.1").map(s -> {
      this.port = s.actualPort();
      return this;
    });
  }

  /** Materialize goes away: the port is closed and every connection cut. */
  Future<Void> stop() {
    dropConnections();
    return server == null ? Future.succeededFuture() : server.close();
  }

  int port() {
    return port;
  }

  String url() {
    return "postgresql://materialize@127.0.0.1:" + port + "/materialize";
  }

  /** How long a FETCH with nothing ready waits before answering {@code FETCH 0}; the default is quick. */
  FakeMaterialize idleMillis(long millis) {
    this.idleMillis = millis;
    return this;
  }

  /** Use the FETCH's own timeout (1 s), as Materialize does. */
  FakeMaterialize honourFetchTimeout() {
    this.idleMillis = -1;
    return this;
  }

  /** The next statement starting with {@code prefix} (case-insensitive) fails once with this error. */
  void failNext(String prefix, String sqlState, String message) {
    failures.put(prefix.toUpperCase(Locale.ROOT), new Error(sqlState, message));
  }

  /** Answers a TAIL on {@code view} with these columns instead of the real ones. */
  void columns(String view, List<Column> cols) {
    columns.put(view, cols);
  }

  /** Cuts every client connection (Materialize restarted); {@code forgetCatalog} as if its data were lost. */
  void restart(boolean forgetCatalog) {
    if (forgetCatalog) {
      catalog.clear();
    }
    dropConnections();
  }

  void dropConnections() {
    for (NetSocket s : sockets) {
      s.close();
    }
  }

  List<String> statements() {
    return statements.stream().map(Statement::sql).toList();
  }

  List<Statement> statementsWithConnection() {
    return List.copyOf(statements);
  }

  List<String> unexpected() {
    return List.copyOf(unexpected);
  }

  List<Map<String, String>> startups() {
    return List.copyOf(startups);
  }

  Set<String> catalog() {
    return Set.copyOf(catalog);
  }

  int connections() {
    return connections.get();
  }

  int sslRequests() {
    return sslRequests.get();
  }

  /** The views with a TAIL cursor on a connection that is still open, one entry per connection. */
  List<String> openTails() {
    return List.copyOf(tails.values());
  }

  private void accept(NetSocket socket) {
    sockets.add(socket);
    Connection c = new Connection(connections.incrementAndGet(), socket);
    socket.handler(c::received);
  }

  /** One client connection: a byte buffer, the start-up phase, then one message at a time. */
  private final class Connection {
    private final int id;
    private final NetSocket socket;
    private Buffer pending = Buffer.buffer();
    private boolean started;
    private boolean busy;
    private boolean closed;
    private char tx = 'I';
    private final Map<String, String> cursors = new HashMap<>();

    Connection(int id, NetSocket socket) {
      this.id = id;
      this.socket = socket;
      socket.closeHandler(v -> {
        closed = true;
        sockets.remove(socket);
        tails.remove(id);
      });
    }

    void received(Buffer data) {
      pending.appendBuffer(data);
      drain();
    }

    private void drain() {
      while (!busy && !closed) {
        if (!started) {
          if (pending.length() < 4 || pending.length() < pending.getInt(0)) {
            return;
          }
          int len = pending.getInt(0);
          Buffer msg = pending.getBuffer(4, len);
          pending = pending.getBuffer(len, pending.length());
          startup(msg);
        } else {
          if (pending.length() < 5 || pending.length() < 1 + pending.getInt(1)) {
            return;
          }
          byte type = pending.getByte(0);
          int len = pending.getInt(1);
          Buffer body = pending.getBuffer(5, 1 + len);
          pending = pending.getBuffer(1 + len, pending.length());
          onMessage(type, body);
        }
      }
    }

    private void startup(Buffer msg) {
      int code = msg.getInt(0);
      if (code == SSL_REQUEST) {
        sslRequests.incrementAndGet();
        socket.write(Buffer.buffer().appendByte((byte) 'N'));
        return;
      }
      if (code != PROTOCOL_3) {
        unexpected.add("start-up code " + code);
        socket.close();
        closed = true;
        return;
      }
      Map<String, String> params = new HashMap<>();
      int i = 4;
      while (i < msg.length() && msg.getByte(i) != 0) {
        String key = cstring(msg, i);
        i += utf8Length(key) + 1;
        String value = cstring(msg, i);
        i += utf8Length(value) + 1;
        params.put(key, value);
      }
      startups.add(params);
      started = true;
      Buffer out = Buffer.buffer();
      out.appendBuffer(message('R', Buffer.buffer().appendInt(0))); // AuthenticationOk
      parameter(out, "server_version", "9.5.0"); // what Materialize reports
      parameter(out, "client_encoding", "UTF8");
      parameter(out, "DateStyle", "ISO, MDY");
      parameter(out, "integer_datetimes", "on");
      parameter(out, "standard_conforming_strings", "on");
      parameter(out, "TimeZone", "UTC");
      out.appendBuffer(message('K', Buffer.buffer().appendInt(1000 + id).appendInt(42)));
      out.appendBuffer(ready());
      socket.write(out);
    }

    private void onMessage(byte type, Buffer body) {
      switch (type) {
        case 'Q' -> query(cstring(body, 0));
        case 'X' -> {
          closed = true;
          socket.close();
        }
        default -> {
          // The extended protocol (P/B/D/E/S...) is not something the tail verticle should use.
          unexpected.add("message type " + (char) type);
          if (type == 'S') {
            socket.write(Buffer.buffer().appendBuffer(error("0A000", "the stand-in speaks the simple protocol only")).appendBuffer(ready()));
          }
        }
      }
    }

    private void query(String text) {
      String sql = text.strip();
      if (sql.endsWith(";")) {
        sql = sql.substring(0, sql.length() - 1).strip();
      }
      statements.add(new Statement(id, sql));
      String upper = sql.toUpperCase(Locale.ROOT);
      for (Map.Entry<String, Error> f : failures.entrySet()) {
        if (upper.startsWith(f.getKey()) && failures.remove(f.getKey(), f.getValue())) {
          fail(f.getValue().sqlState(), f.getValue().message());
          return;
        }
      }
      if (sql.isEmpty()) {
        socket.write(Buffer.buffer().appendBuffer(message('I', Buffer.buffer())).appendBuffer(ready()));
        return;
      }
      if (tx == 'E' && !upper.startsWith("ROLLBACK") && !upper.startsWith("COMMIT")) {
        fail("25P02", "current transaction is aborted, commands ignored until end of transaction block");
        return;
      }
      Matcher m;
      if (upper.equals("BEGIN")) {
        tx = 'T';
        complete("BEGIN");
      } else if (upper.equals("COMMIT") || upper.equals("ROLLBACK")) {
        tx = 'I';
        cursors.clear();
        tails.remove(id);
        complete(upper);
      } else if ((m = CREATE.matcher(sql)).matches()) {
        create(m.group(1).toUpperCase(Locale.ROOT).replaceAll("\\s+", " "), m.group(2) != null, m.group(3).toLowerCase(Locale.ROOT));
      } else if ((m = DECLARE.matcher(sql)).matches()) {
        declare(m.group(1), m.group(2).toLowerCase(Locale.ROOT));
      } else if ((m = FETCH.matcher(sql)).matches()) {
        long timeout = Long.parseLong(m.group(2)) * (m.group(3).equalsIgnoreCase("s") ? 1000 : 1);
        fetch(m.group(1), timeout);
      } else {
        unexpected.add(sql);
        fail("0A000", "the stand-in does not answer: " + sql);
      }
    }

    private void create(String kind, boolean ifNotExists, String name) {
      if (catalog.contains(name)) {
        if (!ifNotExists) {
          fail("42710", "catalog item '" + name + "' already exists");
          return;
        }
        socket.write(Buffer.buffer()
          .appendBuffer(notice("42710", "catalog item '" + name + "' already exists, skipping"))
          .appendBuffer(message('C', cstring("CREATE " + kind)))
          .appendBuffer(ready()));
        return;
      }
      catalog.add(name);
      complete("CREATE " + kind);
    }

    private void declare(String cursor, String view) {
      if (tx != 'T') {
        fail("25P01", "DECLARE CURSOR can only be used in transaction blocks");
      } else if (!catalog.contains(view)) {
        fail("42P01", "unknown catalog item '" + view + "'");
      } else if (columnsOf(view) == null) {
        fail("0A000", "the stand-in knows no columns for " + view);
      } else {
        cursors.put(cursor, view);
        tails.put(id, view);
        source.declared(view);
        complete("DECLARE CURSOR");
      }
    }

    private void fetch(String cursor, long timeout) {
      String view = cursors.get(cursor);
      if (view == null) {
        fail("34000", "cursor \"" + cursor + "\" does not exist");
        return;
      }
      Fetch answer = source.next(view);
      if (answer != null) {
        answer(view, answer);
        return;
      }
      busy = true;
      long wait = idleMillis >= 0 ? idleMillis : timeout;
      vertx.setTimer(Math.max(1, wait), id -> {
        if (closed) {
          return;
        }
        Fetch later = source.next(view);
        answer(view, later != null ? later : new Empty());
      });
    }

    private void answer(String view, Fetch fetch) {
      List<Column> cols = columnsOf(view);
      if (fetch instanceof Rows r) {
        Buffer out = rowDescription(cols);
        r.rows().forEach(row -> out.appendBuffer(dataRow(row, cols.size())));
        out.appendBuffer(message('C', cstring("FETCH " + r.rows().size()))).appendBuffer(ready());
        send(out);
      } else if (fetch instanceof Empty) {
        send(rowDescription(cols).appendBuffer(message('C', cstring("FETCH 0"))).appendBuffer(ready()));
      } else if (fetch instanceof Drop d) {
        Buffer out = rowDescription(cols);
        d.partial().forEach(row -> out.appendBuffer(dataRow(row, cols.size())));
        closed = true;
        socket.write(out).onComplete(x -> socket.close());
      } else if (fetch instanceof Error err) {
        busy = false;
        fail(err.sqlState(), err.message());
        drain();
      } else {
        busy = true; // a Stall: nothing ever comes
      }
    }

    private void send(Buffer out) {
      busy = false;
      socket.write(out);
      drain();
    }

    private void complete(String tag) {
      socket.write(message('C', cstring(tag)).appendBuffer(ready()));
    }

    private void fail(String sqlState, String text) {
      if (tx == 'T') {
        tx = 'E';
      }
      socket.write(error(sqlState, text).appendBuffer(ready()));
    }

    private Buffer ready() {
      return message('Z', Buffer.buffer().appendByte((byte) tx));
    }
  }

  private static Buffer rowDescription(List<Column> cols) {
    List<Column> all = new ArrayList<>(List.of(
      new Column("mz_timestamp", OID_NUMERIC), new Column("mz_progressed", OID_BOOL), new Column("mz_diff", OID_INT8)));
    all.addAll(cols);
    Buffer body = Buffer.buffer().appendShort((short) all.size());
    for (Column c : all) {
      body.appendBuffer(cstring(c.name()))
        .appendInt(0)                       // table OID
        .appendShort((short) 0)             // column number
        .appendInt(c.oid())
        .appendShort(typeSize(c.oid()))
        .appendInt(-1)                      // type modifier
        .appendShort((short) 0);            // text format
    }
    return message('T', body);
  }

  private static short typeSize(int oid) {
    return switch (oid) {
      case OID_BOOL -> 1;
      case OID_INT8 -> 8;
      default -> -1;
    };
  }

  private static Buffer dataRow(TailRow row, int columnCount) {
    Buffer body = Buffer.buffer().appendShort((short) (3 + columnCount));
    field(body, Long.toString(row.timestamp()));   // numeric, scale 0
    field(body, row.progressed() ? "t" : "f");
    field(body, row.diff() == null ? null : Long.toString(row.diff()));
    for (int i = 0; i < columnCount; i++) {
      Object v = row.values() == null || i >= row.values().size() ? null : row.values().get(i);
      field(body, v == null ? null : v instanceof Boolean b ? (b ? "t" : "f") : v.toString()); // bool's text form
    }
    return message('D', body);
  }

  private static void field(Buffer body, String text) {
    if (text == null) {
      body.appendInt(-1);
    } else {
      byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
      body.appendInt(bytes.length).appendBytes(bytes);
    }
  }

  private static void parameter(Buffer out, String name, String value) {
    out.appendBuffer(message('S', cstring(name).appendBuffer(cstring(value))));
  }

  private static Buffer error(String sqlState, String text) {
    return message('E', fields(sqlState, text, "ERROR"));
  }

  private static Buffer notice(String sqlState, String text) {
    return message('N', fields(sqlState, text, "NOTICE"));
  }

  private static Buffer fields(String sqlState, String text, String severity) {
    return Buffer.buffer()
      .appendByte((byte) 'S').appendBuffer(cstring(severity))
      .appendByte((byte) 'V').appendBuffer(cstring(severity))
      .appendByte((byte) 'C').appendBuffer(cstring(sqlState))
      .appendByte((byte) 'M').appendBuffer(cstring(text))
      .appendByte((byte) 0);
  }

  private static Buffer message(char type, Buffer body) {
    return Buffer.buffer().appendByte((byte) type).appendInt(4 + body.length()).appendBuffer(body);
  }

  private static Buffer cstring(String s) {
    return Buffer.buffer().appendString(s, "UTF-8").appendByte((byte) 0);
  }

  private static String cstring(Buffer b, int from) {
    int end = from;
    while (end < b.length() && b.getByte(end) != 0) {
      end++;
    }
    return new String(b.getBytes(from, end), StandardCharsets.UTF_8);
  }

  private static int utf8Length(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }
}
