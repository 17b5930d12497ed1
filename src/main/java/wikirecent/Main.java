package wikirecent;

import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.launcher.application.ExitCodes;
import io.vertx.launcher.application.HookContext;
import io.vertx.launcher.application.VertxApplication;
import io.vertx.launcher.application.VertxApplicationHooks;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import wikirecent.cluster.Cluster;
import wikirecent.replay.ReplayServer;

import java.util.Arrays;

/**
 * The jar's entry point. {@code java -jar wikirecent.jar [launcher options]} runs the app
 * (the Vert.x launcher: {@code -conf}, {@code -cluster}, ...); {@code java -jar wikirecent.jar replay ...}
 * serves a recorded file as an SSE feed.
 */
public class Main extends VertxApplication implements VertxApplicationHooks {

  /** The launcher's {@code -conf} JSON (null without it); the cluster reads its keys from it and the environment. */
  private JsonObject conf;
  private Cluster cluster;
  private final String[] args;

  public Main(String[] args) {
    super(args);
    this.args = args.clone();
  }

  public static void main(String[] args) {
    if (args.length > 0 && args[0].equals("replay")) {
      ReplayServer.main(Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    new Main(args).launch();
  }

  // Hook order in the launcher: afterConfigParsed, createVertxBuilder, (the launcher applies -cluster-host
  // and friends), beforeStartingVertx, then the (clustered) start, then afterVertxStarted.

  @Override
  public JsonObject afterConfigParsed(JsonObject config) {
    if (config == null && confGiven()) {
      // The launcher only warns and goes on with the defaults: a node meant for one role would run them all, on
      // the default data directory.
      System.err.println("wikirecent: not starting: -conf names neither a readable JSON file nor JSON text"
        + " (a file that is missing, unreadable or not valid JSON; see the warning above)");
      System.exit(ExitCodes.USAGE);
    }
    this.conf = config;
    return config;
  }

  private boolean confGiven() {
    for (String a : args) {
      if (a.equals("-conf") || a.equals("--conf") || a.startsWith("-conf=") || a.startsWith("--conf=")) {
        return true;
      }
    }
    return false;
  }

  @Override
  public VertxBuilder createVertxBuilder(VertxOptions options) {
    // Prometheus metrics for /metrics; the web part reads this registry.
    options.setMetricsOptions(new MicrometerMetricsOptions()
      .setEnabled(true)
      .setJvmMetricsEnabled(true)
      .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)));
    // Used only with -cluster; it reads the cluster.* keys when it joins.
    cluster = new Cluster(conf);
    return VertxApplicationHooks.super.createVertxBuilder(options).withClusterManager(cluster);
  }

  @Override
  public void beforeStartingVertx(HookContext context) {
    cluster.placeEventBus(context.vertxOptions().getEventBusOptions());
  }

  @Override
  public void afterVertxStarted(HookContext context) {
    if (context.vertx().isClustered()) {
      cluster.logJoined();
    }
  }

  @Override
  public void afterFailureToStartVertx(HookContext context, Throwable t) {
    cluster.logJoinFailure(t);
  }
}
