package wikirecent.bench;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import wikirecent.config.Config;
import wikirecent.engine.EngineVerticle;
import wikirecent.ingest.IngestVerticle;
import wikirecent.replay.ReplayServer;
import wikirecent.testsupport.Child;
import wikirecent.web.WebVerticle;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The real parts, deployed in this JVM the way {@code MainVerticle} deploys them. */
final class Parts {

  private Parts() {
  }

  /** The CPUs ({@code taskset -c} lists) the app's and the clients' child processes may use, or null: any. Per run. */
  private static volatile String serverCpus;
  private static volatile String clientCpus;

  static void useCpus(String server, String clients) {
    serverCpus = server;
    clientCpus = clients;
  }

  /** What the table notes say of where the processes ran. */
  static String cpusNote() {
    return serverCpus == null && clientCpus == null ? "both on this " + Runtime.getRuntime().availableProcessors()
      + "-core box, competing for it"
      : "the server on CPUs " + (serverCpus == null ? "any" : serverCpus) + ", the clients on " + (clientCpus == null ? "any" : clientCpus)
      + " (taskset; a JVM that sees one CPU picks the serial collector and two event loops)";
  }

  /** The whole app (every part, as {@code java -jar wikirecent.jar} runs it) in a child JVM on these classes. */
  static List<String> appCommand() {
    return pinned(serverCpus, Child.command("wikirecent.Main", List.of(), List.of("wikirecent.MainVerticle")));
  }

  /** One of the benchmark's client modes ({@link ClientMode}'s {@code client}, {@code shaped-client}) in a child JVM. */
  static List<String> clientCommand(String mode, List<String> args) {
    List<String> all = new ArrayList<>(List.of(mode));
    all.addAll(args);
    return pinned(clientCpus, Child.command(Bench.class.getName(), List.of(), all));
  }

  static List<String> pinned(String cpus, List<String> command) {
    if (cpus == null) {
      return command;
    }
    // taskset sets the affinity and execs the command, so the pid the scenarios read (CPU time, jcmd) stays the JVM's.
    List<String> out = new ArrayList<>(List.of("taskset", "-c", cpus));
    out.addAll(command);
    return out;
  }

  /** The defaults with {@code overrides}; the environment is ignored, so a run does not depend on the shell. */
  static JsonObject config(Path dataDir, JsonObject overrides) {
    JsonObject o = new JsonObject().put(Config.DATA_DIR, dataDir.toString()).put(Config.HTTP_PORT, 0);
    return Config.load(o.mergeIn(overrides), Map.of());
  }

  static String deployEngine(Vertx vertx, JsonObject config) throws Exception {
    return await(vertx.deployVerticle(new EngineVerticle(),
      new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER).setConfig(config)), Duration.ofMinutes(5));
  }

  static String deployIngest(Vertx vertx, JsonObject config) throws Exception {
    return await(vertx.deployVerticle(new IngestVerticle(), new DeploymentOptions().setConfig(config)), Duration.ofMinutes(1));
  }

  /** Deploys the web part; returns it (its {@link WebVerticle#port()} is the port it got). */
  static WebVerticle deployWeb(Vertx vertx, JsonObject config) throws Exception {
    WebVerticle web = new WebVerticle();
    await(vertx.deployVerticle(web, new DeploymentOptions().setConfig(config)), Duration.ofMinutes(1));
    return web;
  }

  /** The counter's value in a counter message (its one inserted row), or -1 if it has none. */
  static long count(JsonObject counterMessage) {
    JsonArray inserted = counterMessage.getJsonArray("inserted");
    return inserted == null || inserted.isEmpty() ? -1 : inserted.getJsonArray(0).getLong(0);
  }

  static <T> T await(Future<T> f, Duration timeout) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  static void close(Vertx vertx) {
    if (vertx != null) {
      try {
        await(vertx.close(), Duration.ofSeconds(60));
      } catch (Exception e) {
        System.err.println("closing a Vert.x instance: " + e);
      }
    }
  }

  /**
   * The environment of an app child running every part on {@code port}, with its data in {@code data}, following the
   * replay server on {@code feedPort}; ingest retries every half second until that feed starts.
   */
  static Map<String, String> wholeAppEnv(int port, Path data, int feedPort) {
    return Map.of(
      "WIKIRECENT_HTTP_PORT", String.valueOf(port),
      "WIKIRECENT_DATA_DIR", data.toString(),
      "WIKIRECENT_STREAM_URL", "http://127.0.0.1:" + feedPort + ReplayServer.PATH,
      "WIKIRECENT_INGEST_BACKOFF_MILLIS", "200",
      "WIKIRECENT_INGEST_BACKOFF_MAX_MILLIS", "500",
      "WIKIRECENT_ROLES", "ingest,views,web");
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static final HttpClient HTTP = HttpClient.newBuilder()
    .connectTimeout(Duration.ofSeconds(2)).build();

  /** The status of a GET, or -1 when nothing answers (yet). */
  static int httpStatus(String url) {
    try {
      HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build();
      return HTTP.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** The body of a GET, or null when nothing answers or the status is not 200. */
  static String httpBody(String url) {
    try {
      HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build();
      HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? r.body() : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** Waits for an app child's views to answer (GET /api/views/counter 200); if they do not, says how its log ends. */
  static void awaitApp(Child server, String base, Duration timeout) throws Exception {
    try {
      awaitHttp200(base + "/api/views/counter", timeout);
    } catch (IllegalStateException e) {
      throw new IOException(e.getMessage() + "; server log ends:\n" + server.logTail(30), e);
    }
  }

  /** Polls a URL every 10 ms until it answers 200. */
  static void awaitHttp200(String url, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (httpStatus(url) != 200) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(url + " did not answer 200 within " + timeout.toSeconds() + " s");
      }
      Thread.sleep(10);
    }
  }
}
