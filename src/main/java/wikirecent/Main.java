package wikirecent;

import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.launcher.application.VertxApplication;
import io.vertx.launcher.application.VertxApplicationHooks;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import wikirecent.bench.Bench;
import wikirecent.replay.ReplayServer;

import java.util.Arrays;

/**
 * The jar's entry point. {@code java -jar wikirecent.jar [launcher options]} runs the app
 * (the Vert.x launcher: {@code -conf}, {@code -cluster}, ...); {@code java -jar wikirecent.jar replay ...}
 * serves a recorded file as an SSE feed; {@code java -jar wikirecent.jar bench engine ...} runs a benchmark.
 */
public class Main extends VertxApplication implements VertxApplicationHooks {

  public Main(String[] args) {
    super(args);
  }

  public static void main(String[] args) {
    if (args.length > 0 && args[0].equals("replay")) {
      ReplayServer.main(Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    if (args.length > 0 && args[0].equals("bench")) {
      Bench.main(Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    new Main(args).launch();
  }

  @Override
  public VertxBuilder createVertxBuilder(VertxOptions options) {
    // Prometheus metrics for /metrics; the web part reads this registry.
    options.setMetricsOptions(new MicrometerMetricsOptions()
      .setEnabled(true)
      .setJvmMetricsEnabled(true)
      .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)));
    return VertxApplicationHooks.super.createVertxBuilder(options);
  }
}
