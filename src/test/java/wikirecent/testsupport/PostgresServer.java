package wikirecent.testsupport;

import io.vertx.pgclient.PgConnectOptions;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import wikirecent.bench.Postgres;

import java.io.IOException;
import java.util.List;

/**
 * A throwaway PostgreSQL server for tests: the benchmark's {@link Postgres} launcher (initdb into a
 * temp dir, free loopback port, trust auth, C locale, no fsync, deleted on close), plus the
 * tests' rule for a missing tool.
 * <pre>
 * try (PostgresServer pg = PostgresServer.startOrSkip()) {
 *   PgConnection c = PgConnection.connect(vertx, pg.connectOptions()).await();
 * }
 * </pre>
 */
public final class PostgresServer implements AutoCloseable {

  private final Postgres server;

  private PostgresServer(Postgres server) {
    this.server = server;
  }

  /**
   * Starts a server. Without the binaries: fails when {@code WIKIRECENT_CI=1} is set, otherwise
   * aborts the calling test (skipped, with the reason).
   */
  public static PostgresServer startOrSkip() {
    List<String> missing = Postgres.missingBinaries();
    if (!missing.isEmpty()) {
      String why = "PostgreSQL server binaries not found (PATH, /usr/lib/postgresql/*/bin): " + String.join(", ", missing)
        + " (install PostgreSQL, e.g. Debian's postgresql package, to run this test)";
      if ("1".equals(System.getenv("WIKIRECENT_CI"))) {
        Assertions.fail(why + "; WIKIRECENT_CI=1 requires them");
      }
      Assumptions.abort(why);
    }
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
