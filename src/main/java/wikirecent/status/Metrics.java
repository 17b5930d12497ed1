package wikirecent.status;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;
import io.vertx.micrometer.backends.BackendRegistries;

/**
 * The process's meter registry, where every part registers its meters and which {@code /metrics} renders:
 * the Prometheus registry Vert.x Micrometer set up (see {@code wikirecent.Main}), or, when this Vert.x runs
 * without metrics (tests, embedding), one registry per Vert.x instance, so parts deployed together still share it.
 */
public final class Metrics {

  /** What {@code /metrics} answers with: the Prometheus text format {@link PrometheusMeterRegistry#scrape()} writes. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private static final String MAP = "wikirecent.metrics";

  private Metrics() {
  }

  public static PrometheusMeterRegistry registry(Vertx vertx) {
    if (vertx.isMetricsEnabled()) {
      MeterRegistry shared = BackendRegistries.getDefaultNow();
      if (shared instanceof PrometheusMeterRegistry prometheus) {
        return prometheus;
      }
    }
    LocalMap<String, Holder> map = vertx.sharedData().getLocalMap(MAP);
    return map.computeIfAbsent("registry", k -> new Holder(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))).registry;
  }

  /** Local shared data holds only immutable or {@link Shareable} values; the registry is thread-safe, so shared as it is. */
  private record Holder(PrometheusMeterRegistry registry) implements Shareable {
  }
}
