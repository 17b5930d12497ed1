package wikirecent.testsupport;

import io.vertx.pgclient.PgConnectOptions;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway PostgreSQL server: {@code initdb} into a temp dir, {@code pg_ctl start} on a free
 * loopback port (trust auth, user and database {@code postgres}, UTF8, C locale, no fsync),
 * {@link #close()} stops it and deletes the dir. Needs {@code initdb}, {@code pg_ctl} and
 * {@code postgres} on the PATH or in Debian's {@code /usr/lib/postgresql/<version>/bin}; as root they run as the {@code postgres} OS user (the server
 * refuses root). The benchmarks use it as it is; tests use {@link PostgresServer}.
 */
public final class Postgres implements AutoCloseable {

  private static final List<String> BINARIES = List.of("initdb", "pg_ctl", "postgres");
  private static final boolean ROOT = "root".equals(System.getProperty("user.name"));
  /** What every server gets: no durability (throwaway data), loopback only, few connections. */
  private static final String BASE_SETTINGS = "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
    + " -c full_page_writes=off -c max_connections=20";

  private final Path dir;
  private final Path data;
  private final int port;
  private final Thread shutdownHook;
  private boolean stopped;

  private Postgres(Path dir, int port) {
    this.dir = dir;
    this.data = dir.resolve("data");
    this.port = port;
    this.shutdownHook = new Thread(this::stopQuietly, "postgres-stop");
  }

  /** The binaries that cannot be found (empty when a server can be started). */
  public static List<String> missingBinaries() {
    List<String> missing = new ArrayList<>();
    for (String b : BINARIES) {
      if (find(b) == null) {
        missing.add(b);
      }
    }
    return missing;
  }

  /** True if the binaries can be found. */
  public static boolean available() {
    return missingBinaries().isEmpty();
  }

  /**
   * A PostgreSQL program: on the PATH, or where Debian's server package puts it
   * ({@code /usr/lib/postgresql/<version>/bin}, the newest version), which is not on the PATH.
   */
  public static Path find(String binary) {
    List<Path> dirs = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      for (String d : path.split(File.pathSeparator)) {
        dirs.add(Path.of(d));
      }
    }
    try (var versions = Files.list(Path.of("/usr/lib/postgresql"))) {
      versions.map(v -> v.resolve("bin"))
        .sorted(java.util.Comparator.comparing((Path v) -> versionOf(v.getParent())).reversed())
        .forEach(dirs::add);
    } catch (IOException e) {
      // no Debian server package
    }
    for (Path d : dirs) {
      Path p = d.resolve(binary);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  private static int versionOf(Path dir) {
    try {
      return Integer.parseInt(dir.getFileName().toString());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** A server with small test settings ({@code shared_buffers=16MB}). */
  public static Postgres start() {
    return start("-c shared_buffers=16MB");
  }

  /**
   * A server; {@code settings} are extra {@code postgres} options such as {@code "-c work_mem=64MB"}.
   * Three attempts (a free port can be taken between finding it and binding it).
   */
  public static Postgres start(String settings) {
    IOException last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      Path dir = null;
      try {
        dir = Files.createTempDirectory("wikirecent-pg");
        if (ROOT) {
          UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
          Files.setOwner(dir, users.lookupPrincipalByName("postgres"));
        }
        Postgres server = new Postgres(dir, freePort());
        server.initAndStart(settings);
        return server;
      } catch (IOException e) {
        last = e;
        if (dir != null) {
          Dirs.deleteTree(dir);
        }
      }
    }
    throw new IllegalStateException("could not start a PostgreSQL server", last);
  }

  private void initAndStart(String settings) throws IOException {
    run(60, "initdb", "-D", data.toString(), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
    run(60, "pg_ctl", "-D", data.toString(), "-l", dir.resolve("server.log").toString(), "-w", "-t", "60", "-o",
      "-p " + port + " -k " + dir + " " + BASE_SETTINGS + " " + settings, "start");
  }

  public int port() {
    return port;
  }

  public String host() {
    return "127.0.0.1";
  }

  /** Options for the Vert.x PostgreSQL client: user and database {@code postgres}, no password. */
  public PgConnectOptions connectOptions() {
    return new PgConnectOptions().setHost(host()).setPort(port).setUser("postgres").setDatabase("postgres");
  }

  /** {@code postgresql://postgres@127.0.0.1:<port>/postgres}. */
  public String uri() {
    return "postgresql://postgres@" + host() + ":" + port + "/postgres";
  }

  /** The psql command line for one SQL command against this server ({@code -At}, stop on error). */
  public List<String> psqlCommand(String sql) {
    return List.of("psql", "-h", host(), "-p", String.valueOf(port), "-U", "postgres", "-d", "postgres",
      "-At", "-v", "ON_ERROR_STOP=1", "-c", sql);
  }

  /** Runs SQL with {@code psql -At} (needs psql on the PATH); returns its output. */
  public String psql(String sql) throws IOException {
    return exec(600, psqlCommand(sql));
  }

  /** The server's log, for failure messages. */
  public String log() {
    try {
      return Files.readString(dir.resolve("server.log"));
    } catch (IOException e) {
      return "(no server log: " + e + ")";
    }
  }

  @Override
  public void close() {
    stopQuietly();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // the JVM is already shutting down
    }
  }

  private synchronized void stopQuietly() {
    if (stopped) {
      return;
    }
    stopped = true;
    try {
      run(60, "pg_ctl", "-D", data.toString(), "-m", "immediate", "-w", "stop");
    } catch (IOException e) {
      System.err.println("stopping the PostgreSQL server: " + e.getMessage());
    }
    Dirs.deleteTree(dir);
  }

  private void run(int timeoutSeconds, String... command) throws IOException {
    List<String> cmd = new ArrayList<>();
    if (ROOT) {
      cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    Path program = find(command[0]);
    cmd.add(program == null ? command[0] : program.toString());
    cmd.addAll(List.of(command).subList(1, command.length));
    exec(timeoutSeconds, cmd);
  }

  private String exec(int timeoutSeconds, List<String> cmd) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).directory(dir.toFile());
    File out = Files.createTempFile("wikirecent-pg-cmd", ".out").toFile();
    pb.redirectOutput(out);
    try {
      Process p = pb.start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + " did not finish in " + timeoutSeconds + " s");
      }
      String output = Files.readString(out.toPath(), StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new IOException(String.join(" ", cmd) + " exited with " + p.exitValue() + ":\n" + output);
      }
      return output;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } finally {
      out.delete();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
