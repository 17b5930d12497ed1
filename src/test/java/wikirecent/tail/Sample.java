package wikirecent.tail;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The recorded Wikimedia events (shared/data, beside the repository); tests skip without them, except in CI. */
final class Sample {

  private static final List<Path> PLACES = List.of(
    Path.of("shared", "data", "recentchange-sample.jsonl"),
    Path.of("..", "shared", "data", "recentchange-sample.jsonl"));

  private Sample() {
  }

  static List<String> jsonLines() {
    for (Path p : PLACES) {
      if (Files.isRegularFile(p)) {
        try {
          return Files.readAllLines(p).stream().filter(l -> !l.isBlank()).toList();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    String message = "recentchange-sample.jsonl not found in " + PLACES + " (relative to " + Path.of("").toAbsolutePath() + ")";
    if ("1".equals(System.getenv("WIKIRECENT_CI"))) {
      throw new AssertionError(message);
    }
    Assumptions.abort(message);
    return List.of();
  }
}
