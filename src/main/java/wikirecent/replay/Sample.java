package wikirecent.replay;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The recorded Wikimedia events bundled in the jar ({@code sample/recentchange-sample.jsonl}, with its
 * ATTRIBUTION.md): the replay's default feed, the benchmarks' raw material, the tests' real data. The one
 * place that reads it.
 */
public final class Sample {

  /** Where the sample is on the classpath. */
  public static final String RESOURCE = "/sample/recentchange-sample.jsonl";

  private static List<String> lines;

  private Sample() {
  }

  /**
   * The sample's events in order, one JSON text each (blank lines left out); read once, unmodifiable.
   * An {@link UncheckedIOException} if the build does not bundle it.
   */
  public static synchronized List<String> lines() {
    if (lines == null) {
      try (InputStream in = Sample.class.getResourceAsStream(RESOURCE)) {
        if (in == null) {
          throw new IOException("the bundled sample " + RESOURCE + " is missing from the classpath");
        }
        List<String> out = new ArrayList<>();
        for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
          if (!line.isBlank()) {
            out.add(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
          }
        }
        lines = List.copyOf(out);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return lines;
  }
}
