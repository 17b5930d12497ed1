package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.json.JsonObject;
import wikirecent.testsupport.StreamWatcher;
import wikirecent.testsupport.Wait;

import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/** Helpers for the tests of shaped views: edits across wikis, bots and event time; refused upgrades; meters. */
final class Shaped {

  static final String[] WIKIS = {"enwiki", "dewiki", "frwiki", "commonswiki", null};

  private long clock = 1_750_000_000L;
  private final Random random;

  Shaped(long seed) {
    random = new Random(seed);
  }

  /** Edits by random users on random wikis, some by bots, each 0 to 60 s after the one before. */
  ScriptedViewSource.Edit[] edits(int n) {
    ScriptedViewSource.Edit[] out = new ScriptedViewSource.Edit[n];
    for (int i = 0; i < n; i++) {
      clock += random.nextInt(61);
      out[i] = new ScriptedViewSource.Edit(StreamTest.USERS[random.nextInt(StreamTest.USERS.length)],
        WIKIS[random.nextInt(WIKIS.length)], random.nextInt(4) == 0, clock);
    }
    return out;
  }

  Random random() {
    return random;
  }

  /** A stream on {@code pathAndQuery} the server refuses before the upgrade: its status and JSON body. */
  static UpgradeRejectedException refusedStream(Vertx vertx, int port, String key) {
    try {
      StreamWatcher w = StreamWatcher.connect(vertx, port, key);
      w.close();
      return fail("the stream on " + key + " was upgraded");
    } catch (RuntimeException | AssertionError e) {
      Throwable t = e;
      while (t != null && !(t instanceof UpgradeRejectedException)) {
        t = t.getCause();
      }
      assertThat(t).as("the cause of " + e).isInstanceOf(UpgradeRejectedException.class);
      return (UpgradeRejectedException) t;
    }
  }

  static JsonObject body(UpgradeRejectedException e) {
    Buffer b = e.getBody();
    return new JsonObject(b);
  }

  /** A sample's value in /metrics, or -1 when there is none. */
  static double metric(Vertx vertx, int port, String sample) {
    String text = Http.get(vertx, port, "/metrics").bodyAsString();
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(sample) + " (\\S+)$").matcher(text);
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }

  static void awaitMetric(Vertx vertx, int port, String sample, double value) {
    Wait.until(sample + " = " + value, Wait.LONG, () -> metric(vertx, port, sample) == value,
      () -> sample + " = " + metric(vertx, port, sample));
  }
}
