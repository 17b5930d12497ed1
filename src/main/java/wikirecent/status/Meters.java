package wikirecent.status;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The meters one part registered, removed together when the part stops (so a redeployed part starts from
 * zero and a gauge never reads a stopped part). Names are Micrometer's dotted names; the Prometheus registry
 * turns {@code wikirecent.ingest.events.written} into {@code wikirecent_ingest_events_written_total}, so the
 * unit goes into the name ({@code ...bytes}, {@code ...seconds}) and a counter's name leaves out the total.
 */
public final class Meters {

  private final MeterRegistry registry;
  private final List<Meter> meters = new ArrayList<>();

  public Meters(MeterRegistry registry) {
    this.registry = registry;
  }

  /** {@code tags}: name, value, name, value... */
  public Counter counter(String name, String help, String... tags) {
    return add(Counter.builder(name).description(help).tags(tags).register(registry));
  }

  /** A value read from {@code target} at scrape time, from the scraping thread. */
  public <T> void gauge(String name, String help, T target, ToDoubleFunction<T> value, String... tags) {
    add(Gauge.builder(name, target, value).description(help).tags(tags).strongReference(true).register(registry));
  }

  /** A meter built elsewhere (a timer, a distribution summary), removed with the others. */
  public <M extends Meter> M add(M meter) {
    meters.add(meter);
    return meter;
  }

  public void close() {
    for (Meter m : meters) {
      registry.remove(m);
    }
    meters.clear();
  }
}
