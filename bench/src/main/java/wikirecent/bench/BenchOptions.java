package wikirecent.bench;

import wikirecent.bus.ViewParams;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The options of {@code bench <scenario>}: sizes per scenario, with full defaults (the whole run
 * fits in 15 minutes on 2 cores) or {@code --quick} ones (a smoke run of a minute or two). An
 * option given explicitly wins over either.
 */
final class BenchOptions {

  static final List<String> SCENARIOS = List.of("throughput", "latency", "fanout", "polling", "restart", "shaped", "snapshots");
  /** Run only by name: minutes of churn that measure no speed. */
  static final List<String> BY_NAME_ONLY = List.of("soak");

  /** The fan-out case of a browser on the page: SockJS, following {@link #DASHBOARD_VIEWS} in one session. */
  static final String DASHBOARD = "dashboard";
  /** What the page follows (webroot/app.js; BenchCommandTest reads it), the counter first: its batches are the ones timed. */
  static final List<String> DASHBOARD_VIEWS = List.of("counter", "top10", "top_wikis", "edits_per_minute", "wiki_edits");

  static final String USAGE = String.join("\n",
    "usage: java -jar bench/target/wikirecent-bench.jar [all|throughput|latency|fanout|polling|restart|shaped|snapshots|soak] [options]",
    "       java -jar bench/target/wikirecent-bench.jar engine [options]   (the engine micro-benchmark; bench engine --help)",
    "",
    "Runs the real parts on loopback, prints a table per scenario and writes every figure as JSON.",
    "",
    "  --quick                 small sizes: a smoke run of a minute or two",
    "  --json FILE             where the JSON goes (default target/bench.json)",
    "  --runs N                repetitions of throughput and restart; medians are printed (default 3, quick 1)",
    "  --tmp DIR               parent of the temp dir (default java.io.tmpdir); everything in it is deleted after",
    "  --verbose               keep the parts' INFO logs (default: warnings only)",
    "  --throughput-events N   events in the synthetic file (default 600k, quick 50k)",
    "  --latency-rates LIST    events/s (default 50,1000,10000)",
    "  --latency-clients LIST  WebSocket clients on /api/stream/counter (default 1000,100; quick 100)",
    "  --latency-seconds N     measured seconds per rate, after 3 s of warm-up (default 15, quick 4)",
    "  --fanout-clients LIST   concurrent clients (default 1000,5000,10000; quick 200,1000)",
    "  --fanout-transports L   websocket,sockjs,dashboard (default all three); dashboard: a SockJS session following the",
    "                          page's five views (" + String.join(",", DASHBOARD_VIEWS) + "), the counter timed",
    "  --fanout-seconds N      measured seconds per case (default 15, quick 4)",
    "  --fanout-views LIST     views each sockjs client follows in its one session, the first one timed (default counter);",
    "                          a websocket client follows the first only",
    "  --live-rate N           events/s of the live feed in fanout and polling (default 40)",
    "  --polling-sizes LIST    events of history (default 10k,100k,1M,10M; quick 10k,100k)",
    "  --polls N               polls per history size (default 10, quick 3; at most 5 past 1M events)",
    "  --restart-sizes LIST    recentchanges file sizes (default 100MB,1GB; quick 10MB,50MB)",
    "  --shaped-rates LIST     events/s of the feed in the shaped-views scenario (default 40,1000; quick 1000)",
    "  --shaped-sets N         distinct live parameter sets (default 100, quick 20; at most " + ShapedScenario.maxSets() + ")",
    "  --shaped-clients N      WebSocket clients spread evenly over the sets (default 1000, quick 200)",
    "  --shaped-seconds N      measured seconds per rate, after 3 s of warm-up (default 15, quick 4)",
    "  --shaped-history N      events in the file before the sets open (default 20k, quick 5k)",
    "  --snapshot-users N      distinct users in user_edits (default 200k, quick 20k)",
    "  --snapshot-clients N    answers started at once per round (default 100, quick 20)",
    "  --snapshot-rounds N     measured rounds of GETs, of new stream clients, of new SockJS sessions (default 5, quick 2)",
    "  --soak-seconds N        seconds of churn in the soak (default 600, quick 60)",
    "  --soak-sessions N       sessions open at all times (default 300, quick 100)",
    "  --soak-sample-seconds N seconds between samples of the app's heap, files and threads (default 30, quick 15)",
    "  --soak-rate N           events/s of the soak's feed (default 200)",
    "  --soak-seed N           seed of the soak's draws of kinds, keys and holds (default 1)",
    "  --server-cpus LIST      CPUs the app's process may use where it runs apart (fanout, shaped, snapshots, restart,",
    "                          soak), in taskset's syntax (0, 0-1, 0,2); default any. A JVM that sees one CPU picks the",
    "                          serial collector and two event loops",
    "  --client-cpus LIST      CPUs the client process of fanout and shaped may use; default any",
    "",
    "Sizes take k/M/G suffixes (events: powers of 10; bytes with B: MB = 2^20). Each scenario runs alone",
    "by its name; 'all' runs the seven above in order; soak (leaks under churn, no speed) runs only by its name.",
    "Temp files go under --tmp and are deleted after.");

  String scenario;
  boolean quick;
  boolean verbose;
  Path json = Path.of("target", "bench.json");
  int runs;
  Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
  long throughputEvents;
  List<Long> latencyRates;
  List<Long> latencyClients;
  int latencySeconds;
  List<Long> fanoutClients;
  List<String> fanoutTransports;
  List<String> fanoutViews;
  int fanoutSeconds;
  double liveRate;
  List<Long> pollingSizes;
  int polls;
  List<Long> restartSizes;
  List<Long> shapedRates;
  int shapedSets;
  int shapedClients;
  int shapedSeconds;
  long shapedHistory;
  int snapshotUsers;
  int snapshotClients;
  int snapshotRounds;
  int soakSeconds;
  int soakSessions;
  int soakSampleSeconds;
  double soakRate;
  long soakSeed;
  /** taskset CPU lists for the app's and the clients' processes, or null: any CPU. */
  String serverCpus;
  String clientCpus;

  /** The scenarios to run, in order. */
  List<String> scenarios() {
    return scenario.equals("all") ? SCENARIOS : List.of(scenario);
  }

  /** Parses {@code bench <scenario> [options]}; IllegalArgumentException with a readable message on a bad one. */
  static BenchOptions parse(String scenario, String[] args) {
    if (!scenario.equals("all") && !SCENARIOS.contains(scenario) && !BY_NAME_ONLY.contains(scenario)) {
      throw new IllegalArgumentException("unknown scenario '" + scenario + "'");
    }
    Map<String, String> given = new HashMap<>();
    BenchOptions o = new BenchOptions();
    o.scenario = scenario;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--quick" -> o.quick = true;
        case "--verbose" -> o.verbose = true;
        default -> {
          if (!a.startsWith("--") || !VALUED.contains(a)) {
            throw new IllegalArgumentException("unknown option " + a);
          }
          if (i + 1 >= args.length) {
            throw new IllegalArgumentException(a + " needs a value");
          }
          given.put(a, args[++i]);
        }
      }
    }
    boolean q = o.quick;
    o.runs = (int) positive(given, "--runs", q ? 1 : 3);
    o.json = Path.of(given.getOrDefault("--json", o.json.toString()));
    o.tmp = Path.of(given.getOrDefault("--tmp", o.tmp.toString()));
    o.throughputEvents = given.containsKey("--throughput-events") ? count(given.get("--throughput-events"), "--throughput-events")
      : q ? 50_000 : 600_000;
    o.latencyRates = list(given, "--latency-rates", "50,1000,10000", false);
    o.latencyClients = list(given, "--latency-clients", q ? "100" : "1000,100", false);
    o.latencySeconds = (int) positive(given, "--latency-seconds", q ? 4 : 15);
    o.fanoutClients = list(given, "--fanout-clients", q ? "200,1000" : "1000,5000,10000", false);
    o.fanoutTransports = new ArrayList<>();
    for (String t : given.getOrDefault("--fanout-transports", "websocket,sockjs,dashboard").split(",")) {
      String name = t.trim().toLowerCase(Locale.ROOT);
      if (!name.equals("websocket") && !name.equals("sockjs") && !name.equals(DASHBOARD)) {
        throw new IllegalArgumentException("--fanout-transports takes websocket, sockjs and/or dashboard, not " + t);
      }
      o.fanoutTransports.add(name);
    }
    o.fanoutSeconds = (int) positive(given, "--fanout-seconds", q ? 4 : 15);
    o.fanoutViews = new ArrayList<>();
    for (String v : given.getOrDefault("--fanout-views", "counter").split(",")) {
      o.fanoutViews.add(ViewParams.View.byName(v.trim()).viewName()); // unknown: says which views there are
    }
    if (!o.fanoutViews.get(0).equals("counter")) {
      throw new IllegalArgumentException("--fanout-views must start with counter, the view whose batches are timed");
    }
    o.liveRate = positiveDecimal(given.getOrDefault("--live-rate", "40"), "--live-rate");
    o.pollingSizes = list(given, "--polling-sizes", q ? "10k,100k" : "10k,100k,1M,10M", false);
    o.polls = (int) positive(given, "--polls", q ? 3 : 10);
    o.restartSizes = list(given, "--restart-sizes", q ? "10MB,50MB" : "100MB,1GB", true);
    o.shapedRates = list(given, "--shaped-rates", q ? "1000" : "40,1000", false);
    o.shapedSets = (int) positive(given, "--shaped-sets", q ? 20 : 100);
    o.shapedClients = (int) positive(given, "--shaped-clients", q ? 200 : 1000);
    o.shapedSeconds = (int) positive(given, "--shaped-seconds", q ? 4 : 15);
    o.shapedHistory = positive(given, "--shaped-history", q ? 5_000 : 20_000);
    o.snapshotUsers = (int) Math.min(10_000_000, positive(given, "--snapshot-users", q ? 20_000 : 200_000));
    o.snapshotClients = (int) Math.min(10_000, positive(given, "--snapshot-clients", q ? 20 : 100));
    o.snapshotRounds = (int) positive(given, "--snapshot-rounds", q ? 2 : 5);
    o.soakSeconds = (int) Math.min(86_400, positive(given, "--soak-seconds", q ? 60 : 600));
    o.soakSessions = (int) Math.min(5_000, positive(given, "--soak-sessions", q ? 100 : 300));
    o.soakSampleSeconds = (int) positive(given, "--soak-sample-seconds", q ? 15 : 30);
    o.soakRate = positiveDecimal(given.getOrDefault("--soak-rate", "200"), "--soak-rate");
    o.soakSeed = positive(given, "--soak-seed", 1);
    o.serverCpus = cpus(given, "--server-cpus");
    o.clientCpus = cpus(given, "--client-cpus");
    if (o.shapedSets > ShapedScenario.maxSets()) {
      throw new IllegalArgumentException("--shaped-sets can be at most " + ShapedScenario.maxSets() + " (the distinct sets of "
        + ShapedScenario.KEY_WIKIS.size() + " wikis), not " + o.shapedSets);
    }
    if (o.shapedClients < o.shapedSets) {
      throw new IllegalArgumentException("--shaped-clients (" + o.shapedClients + ") must be at least --shaped-sets (" + o.shapedSets
        + "): every set needs a client");
    }
    return o;
  }

  private static final List<String> VALUED = List.of("--json", "--runs", "--tmp", "--throughput-events", "--latency-rates",
    "--latency-clients", "--latency-seconds", "--fanout-clients", "--fanout-transports", "--fanout-seconds", "--fanout-views", "--live-rate",
    "--polling-sizes", "--polls", "--restart-sizes", "--shaped-rates", "--shaped-sets", "--shaped-clients", "--shaped-seconds",
    "--shaped-history", "--snapshot-users", "--snapshot-clients", "--snapshot-rounds", "--soak-seconds", "--soak-sessions",
    "--soak-sample-seconds", "--soak-rate", "--soak-seed", "--server-cpus", "--client-cpus");

  private static final Pattern CPU_LIST = Pattern.compile("\\d+(-\\d+)?(,\\d+(-\\d+)?)*");

  private static String cpus(Map<String, String> given, String option) {
    String v = given.get(option);
    if (v == null) {
      return null;
    }
    if (!CPU_LIST.matcher(v).matches()) {
      throw new IllegalArgumentException(option + " takes a CPU list such as 0, 0-1 or 0,2, not " + v);
    }
    return v;
  }

  private static long positive(Map<String, String> given, String option, long dflt) {
    return given.containsKey(option) ? count(given.get(option), option) : dflt;
  }

  private static List<Long> list(Map<String, String> given, String option, String dflt, boolean bytes) {
    List<Long> out = new ArrayList<>();
    for (String part : given.getOrDefault(option, dflt).split(",")) {
      out.add(bytes ? bytes(part.trim(), option) : count(part.trim(), option));
    }
    return out;
  }

  /** {@code 10k} = 10,000; {@code 1M}; {@code 2G}; a plain number. At least 1. */
  static long count(String v, String option) {
    String s = v.trim();
    long unit = 1;
    if (!s.isEmpty()) {
      switch (Character.toLowerCase(s.charAt(s.length() - 1))) {
        case 'k' -> unit = 1_000;
        case 'm' -> unit = 1_000_000;
        case 'g' -> unit = 1_000_000_000;
        default -> unit = 1;
      }
    }
    if (unit > 1) {
      s = s.substring(0, s.length() - 1);
    }
    try {
      long n = Math.multiplyExact(Long.parseLong(s.trim()), unit);
      if (n < 1) {
        throw new IllegalArgumentException(option + " must be at least 1, not " + v);
      }
      return n;
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException(option + " needs a whole number (k/M/G allowed), not " + v);
    }
  }

  /** {@code 100MB} = 100 x 2^20 bytes, {@code 1GB}, {@code 512KB}, or plain bytes. At least 1. */
  static long bytes(String v, String option) {
    String s = v.trim().toUpperCase(Locale.ROOT);
    long unit = 1;
    if (s.endsWith("KB")) {
      unit = 1L << 10;
    } else if (s.endsWith("MB")) {
      unit = 1L << 20;
    } else if (s.endsWith("GB")) {
      unit = 1L << 30;
    }
    if (unit > 1) {
      s = s.substring(0, s.length() - 2);
    } else if (s.endsWith("B")) {
      s = s.substring(0, s.length() - 1);
    }
    try {
      long n = Math.multiplyExact(Long.parseLong(s.trim()), unit);
      if (n < 1) {
        throw new IllegalArgumentException(option + " must be at least 1 byte, not " + v);
      }
      return n;
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException(option + " needs a size such as 100MB or 1GB, not " + v);
    }
  }

  private static double positiveDecimal(String v, String option) {
    try {
      double d = Double.parseDouble(v.trim());
      if (!(d > 0) || Double.isInfinite(d)) {
        throw new IllegalArgumentException(option + " must be more than 0, not " + v);
      }
      return d;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " needs a number, not " + v);
    }
  }
}
