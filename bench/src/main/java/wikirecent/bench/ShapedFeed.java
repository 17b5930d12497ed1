package wikirecent.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import wikirecent.replay.Sample;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/**
 * The feed of the shaped-views scenario, as JSON lines for the replay server: the bundled sample's events
 * (canaries left out) in order, looped, each with its own {@code meta.id}, a wiki drawn from {@link #WIKIS}
 * (Zipf-like shares) and an event time that moves on one second per {@link #EVENTS_PER_SECOND} events, as
 * in the live stream. The sample itself holds two wikis and event times years apart (its last 100 events,
 * all enwiki, are the only ones in any window), so it would leave most parameter sets still; this keeps
 * every set moving and the 5-minute windows sliding. Deterministic: the first n lines are the same for any size.
 */
final class ShapedFeed {

  /** The wikis events are spread over, most edited first (the first ones are those the sets name). */
  static final List<String> WIKIS = List.of("wikidatawiki", "commonswiki", "enwiki", "dewiki", "frwiki", "eswiki", "ruwiki",
    "jawiki", "itwiki", "zhwiki", "ptwiki", "plwiki");
  /** Event time moves on a second per this many events: Wikimedia's recorded live rate. */
  static final int EVENTS_PER_SECOND = 40;
  /** Event time of the first event (epoch s): long before now, so ingest's back-fill request starts at the beginning. */
  static final long FIRST_TIMESTAMP = 1_600_000_000L;

  private ShapedFeed() {
  }

  /** Writes the first {@code prefix} events to {@code prefixFile} and the first {@code total} to {@code fullFile}. */
  static void write(Path prefixFile, long prefix, Path fullFile, long total) throws IOException {
    write(prefixFile, prefix, fullFile, total, 1, EVENTS_PER_SECOND);
  }

  /** The same with event time moving on {@code seconds} every {@code events} events. */
  static void write(Path prefixFile, long prefix, Path fullFile, long total, long seconds, long events) throws IOException {
    ObjectMapper mapper = new ObjectMapper();
    List<ObjectNode> sample = new ArrayList<>();
    for (String line : Sample.lines()) {
      if (line.isBlank()) {
        continue;
      }
      ObjectNode e = (ObjectNode) mapper.readTree(line);
      if (!"canary".equals(e.path("meta").path("domain").asText())) {
        sample.add(e);
      }
    }
    double[] cumulative = new double[WIKIS.size()];
    double sum = 0;
    for (int k = 0; k < cumulative.length; k++) {
      sum += 1.0 / (k + 1);
      cumulative[k] = sum;
    }
    Random random = new Random(13);
    try (OutputStream pre = new BufferedOutputStream(Files.newOutputStream(prefixFile), 1 << 16);
         OutputStream full = new BufferedOutputStream(Files.newOutputStream(fullFile), 1 << 16)) {
      for (long i = 0; i < total; i++) {
        ObjectNode e = sample.get((int) (i % sample.size())).deepCopy();
        double u = random.nextDouble() * sum;
        int w = 0;
        while (cumulative[w] < u) {
          w++;
        }
        long ts = FIRST_TIMESTAMP + i * seconds / events;
        e.put("wiki", WIKIS.get(w));
        e.put("timestamp", ts);
        if (e.get("meta") instanceof ObjectNode meta) {
          meta.put("id", new UUID(0x5A4E_D000_0000_0000L, i).toString());
          meta.put("dt", Instant.ofEpochSecond(ts).toString());
        }
        byte[] line = mapper.writeValueAsBytes(e);
        full.write(line);
        full.write('\n');
        if (i < prefix) {
          pre.write(line);
          pre.write('\n');
        }
      }
    }
  }
}
