package wikirecent.engine;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewParams;
import wikirecent.bus.ViewTable;
import wikirecent.replay.Sample;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A step whose apply throws on its k-th record (a RuntimeException, an OutOfMemoryError, a
 * StackOverflowError): the views start over rather than keep what was applied before the throw and
 * apply it again, a subscriber converges through reset snapshots, and a checkpoint written after it
 * holds no half-applied step. Going live that fails part-way (memory) can be tried again, and its
 * snapshots are then those of the file as read.
 */
class EngineFailedStepTest {

  private static final int K = 5;

  @TempDir
  Path dir;
  private Path file;
  private final Fault fault = new Fault();
  private final List<String> lines = new ArrayList<>();
  /** What a subscriber of every default set holds, by key. */
  private final Map<String, ViewTable> subscriber = new TreeMap<>();
  private final List<Throwable> failures = new ArrayList<>();
  private int snapshotsAfterFailure;

  /** The engine's beforeApply: once armed, throws on the k-th line applied. */
  private static final class Fault implements Runnable {
    private int countdown;
    private Runnable failure;

    void arm(int k, Runnable failure) {
      this.countdown = k;
      this.failure = failure;
    }

    @Override
    public void run() {
      if (countdown > 0 && --countdown == 0) {
        failure.run();
      }
    }
  }

  @BeforeEach
  void setUp() {
    file = dir.resolve("recentchanges");
  }

  private Engine engine() {
    Engine e = new Engine(file, dir.resolve("engine.checkpoint"), 16 * 1024, System::currentTimeMillis);
    e.beforeApply = fault;
    return e;
  }

  private void append(int n) throws IOException {
    List<String> more = Sample.lines().subList(lines.size(), lines.size() + n);
    RecordFiles.append(file, RecordFiles.recordsOf(more, lines.size()));
    lines.addAll(more);
  }

  private static Runnable thrower(String kind) {
    return switch (kind) {
      case "RuntimeException" -> () -> {
        throw new RuntimeException("injected");
      };
      case "OutOfMemoryError" -> () -> {
        throw new OutOfMemoryError("injected");
      };
      case "StackOverflowError" -> () -> {
        throw new StackOverflowError("injected");
      };
      default -> throw new IllegalArgumentException(kind);
    };
  }

  private void receive(List<JsonObject> messages) {
    for (JsonObject m : messages) {
      if (ViewMessage.isSnapshot(m) && !failures.isEmpty()) {
        snapshotsAfterFailure++;
      }
      ViewTable t = subscriber.computeIfAbsent(ViewMessage.key(m), ViewTable::new);
      assertThat(t.apply(m)).as("%s fits what the subscriber holds", m).isTrue();
    }
  }

  /**
   * Steps until the file is read, as EngineVerticle does: publishing while live; after a failed step
   * re-reading without publishing, then announcing reset snapshots. Any other throw is retried.
   */
  private void follow(Engine engine) {
    boolean live = engine.state().tracking();
    for (int guard = 0; guard < 10_000; guard++) {
      Engine.Step step;
      try {
        step = engine.step(live);
      } catch (Engine.StepFailed e) {
        failures.add(e);
        live = false;
        continue;
      } catch (IOException | RuntimeException | Error e) {
        failures.add(e);
        continue;
      }
      receive(step.messages());
      if (step.reset() != null) {
        live = false;
      }
      if (!step.more()) {
        if (!live) {
          receive(engine.goLive());
        }
        return;
      }
    }
    throw new AssertionError("the engine never caught up");
  }

  /** Every default set's rows, by key, from the snapshots of a fresh engine over the same file. */
  private Map<String, JsonArray> fromScratch() {
    Map<String, JsonArray> out = new TreeMap<>();
    try (Engine fresh = new Engine(file, null, 16 * 1024, System::currentTimeMillis)) {
      RecordFiles.readAll(fresh);
      for (JsonObject snap : fresh.goLive()) {
        out.put(ViewMessage.key(snap), rows(snap));
      }
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return out;
  }

  private static JsonArray rows(JsonObject snapshot) {
    ViewTable t = new ViewTable(ViewMessage.view(snapshot));
    t.apply(snapshot);
    return t.rows();
  }

  private Oracle.Expected expected() {
    List<byte[]> bytes = new ArrayList<>();
    lines.forEach(l -> bytes.add(EventLines.bytes(l)));
    return Oracle.compute(bytes);
  }

  @ParameterizedTest
  @ValueSource(strings = {"RuntimeException", "OutOfMemoryError", "StackOverflowError"})
  void aStepThatFailsPartWayStartsOverAndTheSubscriberConverges(String kind) throws IOException {
    Engine engine = engine();
    append(100);
    follow(engine);
    assertThat(subscriber).hasSize(ViewParams.View.values().length);

    append(100);
    fault.arm(K, thrower(kind));
    follow(engine);
    append(50);
    follow(engine);

    Oracle.Expected expected = expected();
    assertThat(engine.state().total()).as("every event counted once").isEqualTo(expected.count());
    ViewStatePropertyTest.assertEquals(engine.state(), expected);
    Map<String, JsonArray> scratch = fromScratch();
    Map<String, JsonArray> held = new TreeMap<>();
    Map<String, JsonArray> engineRows = new TreeMap<>();
    subscriber.forEach((key, t) -> held.put(key, t.rows()));
    for (ViewParams.View v : ViewParams.View.values()) {
      ViewParams params = ViewParams.of(v);
      engineRows.put(params.toString(), rows(engine.open(params)));
    }
    assertThat(engineRows).as("the engine's default sets").isEqualTo(scratch);
    assertThat(held).as("what the subscriber holds").isEqualTo(scratch);

    assertThat(failures).singleElement().isInstanceOf(Engine.StepFailed.class);
    assertThat(failures.get(0).getCause()).hasMessage("injected");
    assertThat(failures.get(0).getCause().getClass().getSimpleName()).isEqualTo(kind);
    assertThat(snapshotsAfterFailure).as("a reset snapshot of every default set after the failure").isEqualTo(ViewParams.View.values().length);
    assertThat(engine.failedSteps()).isEqualTo(1);
    assertThat(engine.resets()).as("the file was not reset").isZero();
    engine.close();
  }

  @Test
  void goingLiveThatFailsPartWayCanBeRetriedAndItsSnapshotsAreCurrent() throws IOException {
    Engine engine = engine();
    Fault snapshotFault = new Fault();
    engine.beforeSnapshot = snapshotFault;
    append(100);
    RecordFiles.readAll(engine);
    snapshotFault.arm(5, thrower("OutOfMemoryError")); // after counter, user_edits, top10 and top_wikis
    try {
      engine.goLive();
      throw new AssertionError("goLive did not fail");
    } catch (OutOfMemoryError e) {
      assertThat(e).hasMessage("injected");
    }
    append(100); // read while the views are not live yet, as the verticle does until it tries again
    RecordFiles.readAll(engine);
    receive(engine.goLive());
    assertThat(subscriber).hasSize(ViewParams.View.values().length);
    Map<String, JsonArray> held = new TreeMap<>();
    subscriber.forEach((key, t) -> held.put(key, t.rows()));
    assertThat(held).as("the second goLive's snapshots, the sets the first one opened too").isEqualTo(fromScratch());
    assertThat(engine.state().total()).isEqualTo(expected().count());

    append(50);
    follow(engine);
    held.clear();
    subscriber.forEach((key, t) -> held.put(key, t.rows()));
    assertThat(held).as("and the batches after them").isEqualTo(fromScratch());
    assertThat(engine.resets() + engine.failedSteps()).as("nothing was thrown away").isZero();
    engine.close();
  }

  @Test
  void anInstanceWhoseOpeningFailsIsNotKept() throws IOException {
    Engine engine = engine();
    append(100);
    RecordFiles.readAll(engine);
    engine.goLive();
    Fault openFault = new Fault();
    engine.afterOpen = openFault;
    ViewParams params = new ViewParams(ViewParams.View.TOP10, "wikidatawiki", true, ViewParams.Window.ALL);
    openFault.arm(1, thrower("OutOfMemoryError")); // built and registered, then its snapshot fails
    try {
      engine.open(params);
      throw new AssertionError("open did not fail");
    } catch (OutOfMemoryError e) {
      assertThat(e).hasMessage("injected");
    }
    assertThat(engine.isOpen(params)).as("no instance left that no one holds").isFalse();
    assertThat(engine.core().live()).noneMatch(p -> !p.isDefault());
    JsonObject again = engine.open(params);
    assertThat(engine.isOpen(params)).isTrue();
    try (Engine fresh = new Engine(file, null, 16 * 1024, System::currentTimeMillis)) {
      RecordFiles.readAll(fresh);
      fresh.goLive();
      assertThat(rows(again)).isEqualTo(rows(fresh.open(params)));
    }
    engine.close();
  }

  @Test
  void aCheckpointWrittenAfterAFailedStepHoldsNoHalfOfIt() throws IOException {
    Engine engine = engine();
    append(100);
    RecordFiles.readAll(engine);
    append(100);
    fault.arm(K, thrower("RuntimeException"));
    try {
      engine.step(false);
    } catch (RuntimeException e) {
      failures.add(e);
    }
    engine.writeCheckpoint(); // what the checkpoint timer would do next
    engine.close();

    Engine restarted = engine();
    assertThat(restarted.restore().used()).isTrue();
    RecordFiles.readAll(restarted);
    assertThat(restarted.state().total()).as("every event counted once").isEqualTo(expected().count());
    ViewStatePropertyTest.assertEquals(restarted.state(), expected());
    assertThat(failures).singleElement().isInstanceOf(Engine.StepFailed.class);
    restarted.close();
  }
}
