package wikirecent.bench;

import wikirecent.testsupport.Dirs;
import ch.qos.logback.classic.Level;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * {@code java -jar bench/target/wikirecent-bench.jar <scenario> [options]}: the benchmarks. They run the real
 * parts on loopback, print a table per scenario and write the figures as JSON; they assert
 * nothing. See {@link BenchOptions#USAGE} and BENCHMARKS.md.
 */
public final class Bench {

  private Bench() {
  }

  public static void main(String[] args) {
    System.exit(run(args, System.out));
  }

  /** Runs {@code bench <args>}; returns the exit code (0 ok, 1 a scenario failed, 2 bad arguments). */
  public static int run(String[] args, PrintStream out) {
    String name = args.length > 0 ? args[0] : "";
    String[] rest = args.length > 0 ? Arrays.copyOfRange(args, 1, args.length) : args;
    switch (name) {
      case "engine":
        try {
          EngineBench.main(rest);
          return 0;
        } catch (IOException e) {
          System.err.println("bench engine failed: " + e);
          return 1;
        }
      case "client":
        return ClientMode.main(rest);
      case "shaped-client":
        return ShapedClientMode.main(rest);
      case "-h", "--help", "help":
        out.println(BenchOptions.USAGE);
        return 0;
      default:
        BenchOptions options;
        try {
          options = BenchOptions.parse(name.isEmpty() ? "all" : name, rest);
        } catch (IllegalArgumentException e) {
          System.err.println("bench: " + e.getMessage());
          System.err.println(BenchOptions.USAGE);
          return 2;
        }
        return run(options, "bench " + String.join(" ", args), out);
    }
  }

  static int run(BenchOptions o, String command, PrintStream out) {
    Parts.useCpus(o.serverCpus, o.clientCpus);
    if (!o.verbose) {
      quietLogs();
    }
    long t0 = System.nanoTime();
    JsonObject machine = Machine.describe();
    Report report = new Report(machine, command);
    out.println(command);
    out.println(Machine.oneLine(machine));
    boolean failed = false;
    Path tmp;
    try {
      Files.createDirectories(o.tmp);
      tmp = Files.createTempDirectory(o.tmp, "wikirecent-bench");
    } catch (IOException e) {
      System.err.println("bench: cannot make a temp dir under " + o.tmp + ": " + e);
      return 1;
    }
    Thread cleanup = new Thread(() -> Dirs.deleteTree(tmp), "bench-temp-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    try {
      for (String scenario : o.scenarios()) {
        long s0 = System.nanoTime();
        Report.Table table;
        Path dir = tmp.resolve(scenario);
        try {
          Files.createDirectories(dir);
          table = scenario(scenario, o, dir);
        } catch (Exception e) {
          failed = true;
          table = new Report.Table(scenario, scenario + ": FAILED");
          table.status = "failed";
          table.note("failed: " + e);
          e.printStackTrace();
        } finally {
          Dirs.deleteTree(dir);
        }
        table.seconds = (System.nanoTime() - s0) / 1e9;
        report.add(table);
        table.print(out);
        write(report, o.json, t0);
      }
    } finally {
      Dirs.deleteTree(tmp);
      try {
        Runtime.getRuntime().removeShutdownHook(cleanup);
      } catch (IllegalStateException e) {
        // shutting down already
      }
    }
    double wall = (System.nanoTime() - t0) / 1e9;
    write(report, o.json, t0);
    out.println();
    out.printf("wall time %.0f s (%.1f min); load average at the end %s; results in %s%n", wall, wall / 60, Machine.loadAverage(),
      o.json.toAbsolutePath());
    return failed ? 1 : 0;
  }

  private static Report.Table scenario(String name, BenchOptions o, Path dir) throws Exception {
    return switch (name) {
      case "throughput" -> ThroughputScenario.run(o, dir);
      case "latency" -> LatencyScenario.run(o, dir);
      case "fanout" -> FanOutScenario.run(o, dir);
      case "polling" -> PollingScenario.run(o, dir);
      case "restart" -> RestartScenario.run(o, dir);
      case "shaped" -> ShapedScenario.run(o, dir);
      case "snapshots" -> SnapshotScenario.run(o, dir);
      case "soak" -> SoakScenario.run(o, dir);
      default -> throw new IllegalArgumentException(name);
    };
  }

  private static void write(Report report, Path json, long t0) {
    try {
      report.write(json, (System.nanoTime() - t0) / 1e9);
    } catch (IOException e) {
      System.err.println("bench: cannot write " + json + ": " + e);
    }
  }

  /** The parts log every connection and catch-up at INFO; in a benchmark table that is noise. */
  private static void quietLogs() {
    Logger root = LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
    if (root instanceof ch.qos.logback.classic.Logger logback) {
      logback.setLevel(Level.WARN);
    }
    // Tearing a pipeline down drops the last append hints on the floor, with a warning each.
    if (LoggerFactory.getLogger("io.vertx.core.eventbus.impl.MessageConsumerImpl") instanceof ch.qos.logback.classic.Logger l) {
      l.setLevel(Level.ERROR);
    }
  }
}
