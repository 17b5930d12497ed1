package wikirecent.testsupport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Prometheus's own linter, {@code promtool check metrics} (Debian package {@code prometheus}). */
public final class Promtool {

  public static final Path PATH = Path.of("/usr/bin/promtool");

  private Promtool() {
  }

  /** Skips (or fails under {@code WIKIRECENT_CI=1}) the calling test when promtool is not installed. */
  public static void require() {
    Tools.require(Files.isExecutable(PATH), PATH + " is missing (apt-get install prometheus)");
  }

  /**
   * What {@code promtool check metrics} says about this exposition text, one line per complaint
   * ({@code <metric> <problem>}); empty when it has nothing to say. Fails if promtool cannot read the text.
   */
  public static List<String> complaints(String metrics) throws IOException, InterruptedException {
    Path in = Files.createTempFile("promtool-", ".txt");
    try {
      Files.writeString(in, metrics, StandardCharsets.UTF_8);
      Process p = new ProcessBuilder(PATH.toString(), "check", "metrics")
        .redirectInput(in.toFile())
        .redirectErrorStream(true)
        .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("promtool did not finish within 60 s");
      }
      // 0: nothing to say; 3: lint problems (listed); anything else: it could not parse the text.
      if (p.exitValue() != 0 && p.exitValue() != 3) {
        throw new IOException("promtool check metrics exited with " + p.exitValue() + ": " + out);
      }
      List<String> lines = new ArrayList<>();
      for (String line : out.split("\n")) {
        if (!line.isBlank()) {
          lines.add(line.strip());
        }
      }
      return lines;
    } finally {
      Files.deleteIfExists(in);
    }
  }
}
