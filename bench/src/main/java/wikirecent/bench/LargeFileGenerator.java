package wikirecent.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import wikirecent.records.RecordFormat;
import wikirecent.replay.Sample;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/**
 * Builds a large {@code recentchanges} file from the bundled sample's events, with a realistic
 * spread of user names: a few bots with huge counts, then a Zipf-like tail (exponent 1.1) over
 * many distinct names in several scripts, anonymous IPs and temporary accounts, and a few events
 * without a user (redacted). Every event gets its own {@code meta.id}. Deterministic for a given seed.
 */
public final class LargeFileGenerator {

  private static final String[] BOTS = {"SuccuBot", "Edoderoobot", "QuickStatementsBot", "Frettiebot", "Mr.Ibrahembot"};
  private static final double[] BOT_SHARE = {0.08, 0.05, 0.03, 0.02, 0.01};
  private static final double NO_USER_SHARE = 0.002;
  private static final double ZIPF_EXPONENT = 1.1;

  private final ObjectMapper mapper = new ObjectMapper();
  private final Random random;
  private final long seed;
  private final String[] names;
  private final double[] cumulative;

  public LargeFileGenerator(int users, long seed) {
    this.random = new Random(seed);
    this.seed = seed;
    this.names = new String[users];
    this.cumulative = new double[users];
    double sum = 0;
    for (int k = 0; k < users; k++) {
      names[k] = name(k);
      sum += 1 / Math.pow(k + 1, ZIPF_EXPONENT);
      cumulative[k] = sum;
    }
  }

  /** A name in the mix the live feed has: mostly Latin user names, other scripts, IPs, temporary accounts. */
  private String name(int k) {
    int kind = random.nextInt(100);
    if (kind < 55) {
      String[] parts = {"Wiki", "Editor", "Hans", "Maria", "Lopez", "Nguyen", "Schmidt", "Rossi", "Kowalski", "Tanaka", "Bot", "Fan"};
      return parts[random.nextInt(parts.length)] + (random.nextBoolean() ? " " : "") + parts[random.nextInt(parts.length)] + k;
    } else if (kind < 70) {
      String[] scripts = {"Пользователь", "用户", "مستخدم", "उपयोगकर्ता", "Χρήστης", "사용자", "ユーザー"};
      return scripts[random.nextInt(scripts.length)] + k;
    } else if (kind < 85) {
      return random.nextBoolean()
        ? (1 + random.nextInt(223)) + "." + random.nextInt(256) + "." + random.nextInt(256) + "." + (k % 256)
        : String.format("2001:DB8:%X:%X::%X", random.nextInt(65536), random.nextInt(65536), k);
    } else {
      return String.format("~2026-%05d-%02d", k % 100_000, k / 100_000 % 100);
    }
  }

  /** The {@code k}th of the names {@link #nextUser()} draws from (0 the most frequent). */
  public String nameAt(int k) {
    return names[k];
  }

  /** The next event's user (null: an event without one), from the bots-then-Zipf spread. */
  public String nextUser() {
    double r = random.nextDouble();
    for (int i = 0; i < BOTS.length; i++) {
      if (r < BOT_SHARE[i]) {
        return BOTS[i];
      }
      r -= BOT_SHARE[i];
    }
    if (r < NO_USER_SHARE) {
      return null;
    }
    double u = random.nextDouble() * cumulative[cumulative.length - 1];
    int at = Arrays.binarySearch(cumulative, u);
    return names[at >= 0 ? at : Math.min(-at - 1, names.length - 1)];
  }

  /**
   * The sample's events: from {@code path} if given, else the bundled sample ({@link Sample#lines()}).
   */
  public static List<String> sampleLines(Path path) throws IOException {
    if (path == null) {
      try {
        return Sample.lines();
      } catch (UncheckedIOException e) {
        throw new IOException(e.getCause().getMessage() + ": pass --sample <path to it>", e.getCause());
      }
    }
    List<String> lines = new ArrayList<>();
    for (String line : new String(Files.readAllBytes(path), StandardCharsets.UTF_8).split("\n")) {
      if (!line.isBlank()) {
        lines.add(line);
      }
    }
    return lines;
  }

  /** Writes {@code events} records made from the sample's events to {@code out} (via a temp file, then renamed). */
  public void write(Path out, long events, List<String> sample) throws IOException {
    write(out, events, Long.MAX_VALUE, sample);
  }

  /**
   * Writes records until the file holds at least {@code bytes} (or {@code maxEvents} records); returns how many
   * records it wrote.
   */
  public long writeBytes(Path out, long bytes, List<String> sample) throws IOException {
    return write(out, Long.MAX_VALUE, bytes, sample);
  }

  /**
   * Each event is a sample event with another user and its own {@code meta.id} (so ingest, which drops a
   * meta.id it has already written, takes every one of them); canary events of the sample are left out.
   */
  private long write(Path out, long maxEvents, long maxBytes, List<String> sample) throws IOException {
    List<ObjectNode> templates = new ArrayList<>();
    for (String line : sample) {
      ObjectNode event = (ObjectNode) mapper.readTree(line);
      if (!"canary".equals(event.path("meta").path("domain").asText())) {
        templates.add(event);
      }
    }
    if (templates.isEmpty()) {
      throw new IOException("the sample holds no events to build from");
    }
    Files.createDirectories(out.toAbsolutePath().getParent());
    Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
    long written = 0;
    long i = 0;
    try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
      for (; i < maxEvents && written < maxBytes; i++) {
        ObjectNode event = templates.get((int) (i % templates.size()));
        String user = nextUser();
        if (user == null) {
          event.remove("user");
        } else {
          event.put("user", user);
        }
        if (event.get("meta") instanceof ObjectNode meta) {
          meta.put("id", new UUID(0x5EED_0000_0000_0000L ^ seed, i).toString());
        }
        String id = "[{\"topic\":\"eqiad.mediawiki.recentchange\",\"partition\":0,\"offset\":" + (1_000_000_000L + i) + "}]";
        byte[] record = RecordFormat.record(id, mapper.writeValueAsString(event));
        os.write(record);
        written += record.length;
      }
    }
    Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return i;
  }

  /** A distinct, realistic name for the heap measurement. */
  String distinctName(int k) {
    return name(k);
  }
}
