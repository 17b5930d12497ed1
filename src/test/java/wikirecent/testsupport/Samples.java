package wikirecent.testsupport;

import io.vertx.core.Vertx;
import wikirecent.status.Metrics;

import java.util.ArrayList;
import java.util.List;

/**
 * Samples read from Prometheus text the way a scraper reads them: {@code name{labels} value} lines. Tests
 * look at the meters the parts registered through what {@code /metrics} renders, by their Prometheus names.
 */
public final class Samples {

  private final String text;

  private Samples(String text) {
    this.text = text;
  }

  public static Samples of(String prometheusText) {
    return new Samples(prometheusText);
  }

  /** What this Vert.x instance's registry renders now (what {@code /metrics} would answer). */
  public static Samples of(Vertx vertx) {
    return new Samples(Metrics.registry(vertx).scrape());
  }

  /** The sum of the series' samples over all its labels; fails if the series is not there at all. */
  public double sum(String name) {
    List<Double> values = values(name, null);
    if (values.isEmpty()) {
      throw new AssertionError("no series " + name + " in:\n" + text);
    }
    return values.stream().mapToDouble(Double::doubleValue).sum();
  }

  /** {@link #sum} as a whole number (counters and byte gauges). */
  public long count(String name) {
    return Math.round(sum(name));
  }

  /** The one sample with exactly these labels (as written, e.g. {@code view="top10"}); fails if absent. */
  public double value(String name, String labels) {
    List<Double> values = values(name, labels);
    if (values.size() != 1) {
      throw new AssertionError(values.size() + " samples " + name + "{" + labels + "} in:\n" + text);
    }
    return values.get(0);
  }

  public String text() {
    return text;
  }

  private List<Double> values(String name, String labels) {
    List<Double> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.startsWith("#") || !line.startsWith(name)) {
        continue;
      }
      String rest = line.substring(name.length());
      String got;
      if (rest.startsWith("{")) {
        int end = rest.indexOf("} ");
        got = rest.substring(1, end);
        rest = rest.substring(end + 1);
      } else if (rest.startsWith(" ")) {
        got = "";
      } else {
        continue; // another series whose name starts with this one
      }
      if (labels == null || labels.equals(got)) {
        out.add(Double.parseDouble(rest.trim().split(" ")[0]));
      }
    }
    return out;
  }
}
