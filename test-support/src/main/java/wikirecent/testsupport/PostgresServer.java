package wikirecent.testsupport;

import io.vertx.pgclient.PgConnectOptions;
import wikirecent.testsupport.Postgres;

import java.io.IOException;
import java.util.List;

/**
 * A throwaway PostgreSQL server for tests: the {@link Postgres} launcher (initdb into a
 * temp dir, free loopback port, trust auth, C locale, no fsync, deleted on close), plus the
 * tests' rule for a missing tool.
 * <pre>
 * try (PostgresServer pg = PostgresServer.startOrSkip()) {
 *   PgConnection c = Wait.on(PgConnection.connect(vertx, pg.connectOptions()));
 * }
 * </pre>
 */
public final class PostgresServer implements AutoCloseable {

  private final Postgres server;

  private PostgresServer(Postgres server) {
    this.server = server;
  }

  /**
   * Starts a server. Without the binaries: the rule of {@link Tools#require} (a failure under
   * {@code WIKIRECENT_CI=1}, else the calling test is skipped with the reason).
   */
  public static PostgresServer startOrSkip() {
    List<String> missing = Postgres.missingBinaries();
    Tools.require(missing.isEmpty(), "PostgreSQL server binaries not found (PATH, /usr/lib/postgresql/*/bin): "
      + String.join(", ", missing) + " (install PostgreSQL, e.g. Debian's postgresql package, to run this test)");
    return new PostgresServer(Postgres.start());
  }

  /** True if the server binaries can be found. */
  public static boolean available() {
    return Postgres.available();
  }

  public int port() {
    return server.port();
  }

  public String host() {
    return server.host();
  }

  /** Options for the Vert.x PostgreSQL client: user and database {@code postgres}, no password. */
  public PgConnectOptions connectOptions() {
    return server.connectOptions();
  }

  /** {@code postgresql://postgres@127.0.0.1:<port>/postgres}. */
  public String uri() {
    return server.uri();
  }

  /** Runs SQL with {@code psql -At} (needs psql on the PATH); returns its output. */
  public String psql(String sql) throws IOException {
    return server.psql(sql);
  }

  /** The server's log, for failure messages. */
  public String log() {
    return server.log();
  }

  @Override
  public void close() {
    server.close();
  }
}
