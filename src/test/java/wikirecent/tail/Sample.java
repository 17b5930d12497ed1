package wikirecent.tail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The recorded Wikimedia events the jar ships (src/main/resources/sample, with their attribution). */
final class Sample {

  private static final String RESOURCE = "/sample/recentchange-sample.jsonl";

  private Sample() {
  }

  static List<String> jsonLines() {
    try (InputStream in = Sample.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the classpath");
      }
      return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines()
        .filter(l -> !l.isBlank()).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
