package wikirecent.web;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;
import org.junit.jupiter.api.Test;
import wikirecent.bus.Addresses;
import wikirecent.bus.ViewMessage;
import wikirecent.bus.ViewTable;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The walk of a crowded instance against a replica of the source: batches arriving between any two chunks,
 * clients joining and leaving, and every client ends holding exactly the source's rows, having applied each
 * frame it got on top of the state it held (a frame never repeats or skips a change).
 */
class FanOutWalkTest {

  private static final String VIEW = "user_edits";
  private static final String KEY = VIEW;

  /** Holds what it is sent, applied to its own table; writes complete at once, or for a slow one when it reads. */
  static class ApplyingClient extends TestClient {
    final Map<String, ViewTable> tables = new HashMap<>();
    final Map<String, List<Long>> timestamps = new HashMap<>();
    /** The frames it got, and how many messages each held. */
    final List<Integer> frames = new ArrayList<>();
    boolean diverged;
    /** Reads what it was written only when told ({@link #read}): its queue fills, it stalls, drains, is sent snapshots. */
    boolean slow;
    private final Deque<Runnable> unread = new ArrayDeque<>();

    /** A write whose frame {@code reading} takes in: at once, or when a slow client reads it. */
    Future<Void> written(Runnable reading) {
      if (!slow) {
        reading.run();
        return Future.succeededFuture();
      }
      Promise<Void> done = Promise.promise();
      unread.add(() -> {
        reading.run();
        done.complete();
      });
      return done.future();
    }

    /** Reads everything written to it, in order, and what is written meanwhile (a drained client is sent snapshots). */
    boolean read() {
      boolean any = !unread.isEmpty();
      int frames = 0;
      for (Runnable r; (r = unread.poll()) != null; ) {
        assertThat(++frames).as("frames read in one go (a node that writes to a drained client without end)").isLessThan(100_000);
        r.run();
      }
      return any;
    }

    @Override
    Future<Void> write(Buffer frame) {
      diverged = true; // nothing but view messages is sent here
      return Future.succeededFuture();
    }

    @Override
    Future<Void> write(Encoded message, Buffer frame) {
      frames.add(1);
      return written(() -> apply(message.key, new JsonObject(frame.toString())));
    }

    void apply(String key, JsonObject m) {
      List<Long> seen = timestamps.computeIfAbsent(key, k -> new ArrayList<>());
      if (!ViewMessage.isSnapshot(m) && !seen.isEmpty() && ViewMessage.timestamp(m) <= seen.get(seen.size() - 1)) {
        diverged = true; // old news: the walk sent it a change it had
      }
      diverged |= !tables.computeIfAbsent(key, k -> new ViewTable(VIEW)).apply(m);
      seen.add(ViewMessage.timestamp(m));
    }

    List<Long> timestamps(String key) {
      return timestamps.getOrDefault(key, List.of());
    }
  }

  /** A SockJS session: reads every frame as SockJS's {@code a[...]} of bridge envelopes, one or several. */
  static final class BundlingClient extends ApplyingClient {
    @Override
    Buffer frame(Encoded message) {
      return message.sockJsFrame();
    }

    @Override
    boolean bundles() {
      return true;
    }

    @Override
    Buffer frame(Bundle bundle) {
      return bundle.sockJsFrame;
    }

    @Override
    Future<Void> write(Encoded message, Buffer frame) {
      return written(() -> take(frame));
    }

    @Override
    Future<Void> write(Bundle bundle, Buffer frame) {
      return written(() -> take(frame));
    }

    private void take(Buffer frame) {
      String text = frame.toString();
      assertThat(text).startsWith("a[");
      JsonArray envelopes = new JsonArray(text.substring(1));
      frames.add(envelopes.size());
      Set<String> keys = new HashSet<>();
      for (Object e : envelopes) {
        JsonObject envelope = new JsonObject((String) e);
        assertThat(envelope.getString("type")).isEqualTo("rec");
        String key = envelope.getString("address").substring(Addresses.view("").length());
        diverged |= !keys.add(key); // one message per instance in a frame
        apply(key, envelope.getJsonObject("body"));
      }
    }
  }

  /**
   * A page, as views.js follows an instance: it registers and asks for the snapshot, holds what comes until the answer
   * to that follow's question (or a pushed snapshot), takes it and replays the held batches newer than it; then applies
   * what is newer than what it holds. A batch that does not fit is a divergence, except on an instance it followed
   * again: frames of the earlier follow still unread (a slow socket) reach the new one, a pushed snapshot among them
   * leaves a gap up to the new follow's first batch, and views.js asks again, as it does here.
   */
  static final class PageClient extends ApplyingClient {
    final Map<String, List<JsonObject>> held = new HashMap<>();
    final Set<String> ready = new HashSet<>();
    /** What it follows now: a frame of an instance it dropped finds no handler. */
    final Set<String> followed = new HashSet<>();
    /** How many times it followed each instance: an answer to an earlier follow's question is not taken. */
    final Map<String, Integer> follows = new HashMap<>();
    /** The node's side: instances whose question it has not answered yet; another is refused (503 already_asked). */
    final Set<String> asked = new HashSet<>();
    /** Questions to ask again later (refused, or a batch did not fit), as views.js does after a back-off. */
    final Set<String> askAgain = new HashSet<>();
    /** Snapshots asked for again because a batch of an instance followed again did not fit. */
    int refetches;
    Source source;

    @Override
    void apply(String key, JsonObject m) {
      if (!followed.contains(key)) {
        return;
      }
      if (ViewMessage.isSnapshot(m)) {
        held.remove(key); // what came before it is in it, or in the merged batch that may follow it
        adopt(key, m); // pushed: what the node sends next starts from it, even if it is older than what the page holds
      } else if (!ready.contains(key)) {
        held.computeIfAbsent(key, k -> new ArrayList<>()).add(m);
      } else if (ViewMessage.timestamp(m) > tables.get(key).timestamp()) {
        fits(key, tables.get(key).apply(m));
      }
    }

    void answered(String key, int follow, JsonObject snapshot) {
      if (!followed.contains(key) || follows.get(key) != follow) {
        return; // views.js takes the answer only for the follow that asked
      }
      ViewTable table = tables.get(key);
      if (ready.contains(key) && table != null && ViewMessage.timestamp(snapshot) < table.timestamp()) {
        return; // older than a pushed snapshot it took
      }
      adopt(key, snapshot);
    }

    void adopt(String key, JsonObject snapshot) {
      ViewTable table = tables.computeIfAbsent(key, k -> new ViewTable(VIEW));
      table.apply(snapshot);
      ready.add(key);
      List<JsonObject> batches = held.getOrDefault(key, List.of());
      held.remove(key);
      for (JsonObject batch : batches) {
        if (ready.contains(key) && ViewMessage.timestamp(batch) > table.timestamp()) {
          fits(key, table.apply(batch));
        }
      }
    }

    private void fits(String key, boolean fits) {
      if (fits) {
        return;
      }
      if (follows.get(key) == 1) {
        diverged = true;
        return;
      }
      refetches++;
      ready.remove(key);
      held.remove(key);
      askAgain.add(key);
    }

    /** Reads, then asks again what it has to (time has passed: its back-off is over). */
    @Override
    boolean read() {
      boolean any = super.read();
      for (String key : List.copyOf(askAgain)) {
        askAgain.remove(key);
        if (!closed && followed.contains(key) && !ready.contains(key)) {
          source.ask(this, key, follows.get(key));
          any = true;
        }
      }
      return any;
    }
  }

  /**
   * The sources' states, the replicas' part: applies batches and hands the non-empty ones to the fan-out. With
   * {@code builtLater}, as {@link ViewReplica} does: a snapshot is built on a later turn, the table holding its batches
   * meanwhile while the fan-out is handed them at once, then handed to the fan-out's {@code snapshotReady} with those
   * batches merged as its {@code since}; it serves until the next batch.
   */
  static final class Source {
    final Map<String, ViewTable> tables = new HashMap<>();
    final boolean builtLater;
    final Map<String, Encoded> built = new HashMap<>();
    /** Batches that came while a key's snapshot was being built, by key; present while it is. */
    final Map<String, List<JsonObject>> deferred = new HashMap<>();
    /** Those of them the fan-out was handed. */
    final Map<String, List<JsonObject>> sent = new HashMap<>();
    /** Pages' requests waiting for the build under way, and for the next one, by key. */
    final Map<String, List<Question>> waiting = new HashMap<>();
    final Map<String, List<Question>> waitingNext = new HashMap<>();
    int builds;
    final Map<String, Map<String, Long>> counts = new HashMap<>();
    final Map<String, Long> fannedOut = new HashMap<>();
    final Deque<Runnable> later = new ArrayDeque<>();
    final FanOut fanOut;
    final List<String> keys;
    long ts = 1;

    Source(String... keys) {
      this(false, keys);
    }

    Source(boolean builtLater, String... keys) {
      this(1 << 20, builtLater, keys);
    }

    /** With {@code queueBound}: the bytes a client may have unread before it stalls. */
    Source(int queueBound, boolean builtLater, String... keys) {
      this.builtLater = builtLater;
      this.keys = List.of(keys);
      for (String key : keys) {
        ViewTable table = new ViewTable(VIEW);
        table.apply(ViewMessage.snapshot(VIEW, 1, new JsonArray()));
        tables.put(key, table);
        counts.put(key, new HashMap<>());
        fannedOut.put(key, 1L);
      }
      fanOut = new FanOut(queueBound, new WebMetrics(), builtLater ? this::snapshotOrBuild : key -> Encoded.of(key, tables.get(key).snapshot()),
        key -> Math.max(tables.get(key).timestamp(), fannedOut.get(key)), later::add);
    }

    private Encoded snapshotOrBuild(String key) {
      Encoded b = built.get(key);
      if (b == null) {
        build(key);
      }
      return b;
    }

    private void build(String key) {
      if (deferred.containsKey(key)) {
        return;
      }
      deferred.put(key, new ArrayList<>());
      sent.put(key, new ArrayList<>());
      builds++;
      later.add(() -> {
        Encoded snapshot = Encoded.of(key, tables.get(key).snapshot());
        List<JsonObject> meanwhile = sent.remove(key);
        if (!meanwhile.isEmpty()) {
          PendingDiff since = new PendingDiff(VIEW);
          meanwhile.forEach(since::add);
          snapshot.since = Encoded.of(key, since.take());
        }
        built.put(key, snapshot);
        for (Question q : waiting.getOrDefault(key, List.of())) {
          answer(q, snapshot);
        }
        waiting.remove(key);
        fanOut.snapshotReady(snapshot);
        for (JsonObject batch : deferred.remove(key)) {
          assertThat(tables.get(key).apply(batch)).isTrue();
        }
        List<Question> next = waitingNext.remove(key);
        if (next != null) {
          waiting.put(key, next);
          build(key);
        }
      });
    }

    /**
     * A page asks for an instance's snapshot, answered as {@link ViewReplica} answers: with a state holding every
     * batch sent before the question (the current one now, or the build under way if it started after the last
     * batch went out, else the next build).
     */
    void ask(PageClient page, String key, int follow) {
      if (!page.asked.add(key)) {
        page.askAgain.add(key); // already_asked: the answer to the first is on its way
        return;
      }
      fanOut.asking(page, key);
      Question q = new Question(page, follow);
      Encoded now = builtLater ? built.get(key) : Encoded.of(key, tables.get(key).snapshot());
      if (now != null && now.timestamp >= fannedOut.get(key)) {
        answer(q, now);
      } else if (deferred.containsKey(key) && tables.get(key).timestamp() < fannedOut.get(key)) { // the table holds the built state
        waitingNext.computeIfAbsent(key, k -> new ArrayList<>()).add(q);
      } else {
        waiting.computeIfAbsent(key, k -> new ArrayList<>()).add(q);
        build(key);
      }
    }

    private void answer(Question q, Encoded snapshot) {
      q.page.asked.remove(snapshot.key);
      if (q.page.closed) {
        return;
      }
      JsonObject body = new JsonObject(snapshot.json);
      fanOut.sendSnapshot(q.page, snapshot.length(), () -> q.page.written(() -> q.page.answered(snapshot.key, q.follow, body)), snapshot);
    }

    /** A batch of a random instance. */
    void batch(Random random) {
      batch(keys.get(random.nextInt(keys.size())), random);
    }

    void batch(String key, Random random) {
      Map<String, Long> count = counts.get(key);
      JsonArray inserted = new JsonArray();
      JsonArray deleted = new JsonArray();
      Set<String> touched = new HashSet<>();
      for (int e = 0, n = random.nextInt(4); e < n; e++) {
        touched.add("user" + random.nextInt(8));
      }
      for (String user : touched) {
        Long before = count.get(user);
        long after = (before == null ? 0 : before) + 1;
        if (before != null) {
          deleted.add(new JsonArray().add(user).add(before));
        }
        inserted.add(new JsonArray().add(user).add(after));
        count.put(user, after);
      }
      ts += 1 + random.nextInt(2);
      JsonObject batch = ViewMessage.batch(VIEW, ts, inserted, deleted);
      boolean building = deferred.containsKey(key);
      boolean changes = !inserted.isEmpty();
      if (building) {
        deferred.get(key).add(batch);
      } else {
        assertThat(tables.get(key).apply(batch)).isTrue();
      }
      if (changes || !building) {
        built.remove(key);
      }
      if (changes) { // as the replica: an empty batch moves the state but is not sent
        if (building) {
          sent.get(key).add(batch);
        }
        long previous = fannedOut.put(key, ViewMessage.timestamp(batch));
        fanOut.batch(key, batch, previous);
      }
    }

    /** Runs up to n queued chunks (all if n < 0). */
    void run(int n) {
      for (int i = 0; (n < 0 || i < n) && !later.isEmpty(); i++) {
        later.poll().run();
      }
    }

    /** Every client ends holding each followed instance's rows, having applied each frame on what it held. */
    void assertConverged(List<? extends ApplyingClient> clients, Map<ApplyingClient, List<String>> follows) {
      for (ApplyingClient c : clients) {
        String who = c.getClass().getSimpleName() + (c.slow ? ", slow" : "");
        assertThat(c.diverged).as("a frame that did not start from what the client held (%s)", who).isFalse();
        for (String key : follows.getOrDefault(c, List.of(keys.get(0)))) {
          assertThat(c.tables.get(key).rows()).as("%s (%s)", key, who).isEqualTo(tables.get(key).rows());
        }
      }
    }
  }

  @Property(tries = 60)
  void everyClientEndsAtTheSourceAndAppliesEachFrameOnWhatItHeld(@ForAll long seed,
                                                                  @ForAll @IntRange(min = 100, max = 700) int clients,
                                                                  @ForAll @IntRange(min = 1, max = 80) int steps) {
    Random random = new Random(seed);
    Source source = new Source(KEY);
    List<ApplyingClient> all = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      all.add(join(source, new ApplyingClient(), KEY));
    }
    assertThat(source.fanOut.crowded(KEY)).isTrue();
    for (int s = 0; s < steps; s++) {
      switch (random.nextInt(6)) {
        case 0, 1, 2 -> source.batch(random);
        case 3 -> source.run(1 + random.nextInt(3));
        case 4 -> all.add(join(source, new ApplyingClient(), KEY));
        default -> {
          ApplyingClient leaving = all.remove(random.nextInt(all.size()));
          source.fanOut.remove(leaving);
        }
      }
    }
    source.run(-1);
    source.assertConverged(all, Map.of());
  }

  /**
   * Clients following several instances each, SockJS sessions among them (everything a visit sends them goes in one
   * frame), with batches of any instance, joins, leaves, and instances followed and dropped between any two chunks.
   */
  @Property(tries = 60)
  void clientsOfSeveralInstancesEndAtEachSourceAndApplyEachFrameOnWhatTheyHeld(
      @ForAll long seed, @ForAll @IntRange(min = 50, max = 400) int clients, @ForAll @IntRange(min = 1, max = 120) int steps) {
    Random random = new Random(seed);
    Source source = new Source(KEY, KEY + "?wiki=a", KEY + "?wiki=b", KEY + "?window=1h");
    Map<ApplyingClient, List<String>> follows = new HashMap<>();
    List<ApplyingClient> all = joinSome(source, random, follows, clients);
    for (int s = 0; s < steps; s++) {
      switch (random.nextInt(8)) {
        case 0, 1, 2 -> source.batch(random);
        case 3 -> source.run(1 + random.nextInt(3));
        case 4 -> all.add(joinSome(source, random, follows));
        case 5 -> toggleOne(source, random, all, follows);
        default -> source.fanOut.remove(all.remove(random.nextInt(all.size())));
      }
    }
    settle(source, all);
    source.assertConverged(all, follows);
  }

  /**
   * The same with snapshots built on a later turn, as the replicas build them off the event loop, while their
   * instance's batches go on to the clients that hold a state: clients that join, or follow an instance, meanwhile
   * get the snapshot once it is ready and then what followed it, never a batch before it or the snapshot twice (streams
   * and sessions; a page asks for its snapshot and holds or drops what comes around it, so its end state is checked).
   */
  @Property(tries = 60)
  void withSnapshotsBuiltLaterEveryClientStillEndsAtEachSource(
      @ForAll long seed, @ForAll @IntRange(min = 1, max = 300) int clients, @ForAll @IntRange(min = 1, max = 120) int steps) {
    Random random = new Random(seed);
    Source source = new Source(true, KEY, KEY + "?wiki=a", KEY + "?window=1h");
    Map<ApplyingClient, List<String>> follows = new HashMap<>();
    List<ApplyingClient> all = joinSome(source, random, follows, clients);
    for (int s = 0; s < steps; s++) {
      switch (random.nextInt(8)) {
        case 0, 1, 2 -> source.batch(random);
        case 3, 4 -> source.run(1 + random.nextInt(3));
        case 5 -> all.add(joinSome(source, random, follows));
        case 6 -> toggleOne(source, random, all, follows);
        default -> {
          if (all.size() > 1) {
            source.fanOut.remove(all.remove(random.nextInt(all.size())));
          }
        }
      }
    }
    settle(source, all);
    assertThat(source.builds).isPositive();
    source.assertConverged(all, follows);
    int checked = 0;
    for (ApplyingClient c : all) {
      if (c instanceof PageClient) {
        continue; // a page holds batches until its answer and drops what it has (views.js): only its end state is checked
      }
      for (String key : follows.get(c)) {
        List<Long> seen = c.timestamps(key);
        assertThat(seen).as("the snapshot, then only newer states").isSorted().doesNotHaveDuplicates();
        checked += seen.isEmpty() ? 0 : 1;
      }
    }
    assertThat(checked > 0 || all.stream().allMatch(c -> c instanceof PageClient || follows.get(c).isEmpty()))
      .as("the order was checked on some stream or session client").isTrue();
  }

  /**
   * The same with slow clients among them: each reads what it was written only now and then, so its queue fills past
   * the bound, it stalls (its batches dropped), drains and is sent fresh snapshots, with their since, while builds are
   * under way and it may already hold states newer than a cached snapshot.
   */
  @Property(tries = 80)
  void clientsThatStallAndDrainStillEndAtEachSource(
      @ForAll long seed, @ForAll @IntRange(min = 1, max = 60) int clients, @ForAll @IntRange(min = 1, max = 150) int steps) {
    List<ApplyingClient> all = stallAndDrain(seed, clients, steps);
    Statistics.label("a page asked again after an earlier follow's frames").collect(asked(all));
  }

  /**
   * One of the cases above (found by it), kept because it is rare (about one in a thousand): a slow page drained, was
   * pushed a snapshot, dropped the instance and followed it again before reading it; that snapshot, read as the new
   * follow's, left a gap, the next batch did not fit, the page asked again and ended at the source.
   */
  @Example
  void aPageThatFollowsAgainBeforeReadingTheFirstFollowsFramesAsksAgainAndEndsAtTheSource() {
    assertThat(asked(stallAndDrain(-349, 15, 61))).as("a page asked again").isTrue();
  }

  private static boolean asked(List<ApplyingClient> all) {
    return all.stream().anyMatch(c -> c instanceof PageClient p && p.refetches > 0);
  }

  private static List<ApplyingClient> stallAndDrain(long seed, int clients, int steps) {
    Random random = new Random(seed);
    Source source = new Source(400, true, KEY, KEY + "?wiki=a");
    Map<ApplyingClient, List<String>> follows = new HashMap<>();
    List<ApplyingClient> all = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      all.add(joinSome(source, random, follows, random.nextInt(3) == 0));
    }
    for (int s = 0; s < steps; s++) {
      switch (random.nextInt(9)) {
        case 0, 1, 2 -> source.batch(random);
        case 3, 4 -> source.run(1 + random.nextInt(3));
        case 5, 6 -> all.get(random.nextInt(all.size())).read();
        case 7 -> all.add(joinSome(source, random, follows, random.nextBoolean()));
        default -> toggleOne(source, random, all, follows, true);
      }
    }
    settle(source, all);
    source.assertConverged(all, follows);
    return all;
  }

  @Test
  void aSessionFollowingSeveralInstancesGetsOneFramePerVisitAndASocketOneFramePerInstance() {
    Random random = new Random(2);
    Source source = new Source(KEY, KEY + "?wiki=a", KEY + "?wiki=b");
    List<ApplyingClient> all = new ArrayList<>();
    for (int i = 0; i < 2 * FanOut.CHUNK; i++) {
      all.add(join(source, i % 2 == 0 ? new BundlingClient() : new ApplyingClient(), source.keys.toArray(String[]::new)));
    }
    List<Integer> joined = all.stream().map(c -> c.frames.size()).toList();
    for (String key : source.keys) {
      sendOne(source, key, random);
    }
    source.run(-1);
    for (int i = 0; i < all.size(); i++) {
      List<Integer> got = all.get(i).frames.subList(joined.get(i), all.get(i).frames.size());
      assertThat(got).as("frames after the snapshots, by messages each held").isEqualTo(i % 2 == 0 ? List.of(3) : List.of(1, 1, 1));
    }
    source.assertConverged(all, all.stream().collect(Collectors.toMap(c -> c, c -> source.keys)));
  }

  @Test
  void aBatchArrivingDuringAWalkReachesTheClientsNotYetVisitedInOneFrame() {
    Random random = new Random(1);
    Source source = new Source(KEY);
    List<ApplyingClient> all = new ArrayList<>();
    for (int i = 0; i < 3 * FanOut.CHUNK; i++) {
      all.add(join(source, new ApplyingClient(), KEY));
    }
    long first = sendOne(source, KEY, random);
    source.run(1); // the first chunk gets it
    long second = sendOne(source, KEY, random);
    source.run(-1);
    List<Long> firstChunk = all.get(0).timestamps(KEY);
    List<Long> lastChunk = all.get(all.size() - 1).timestamps(KEY);
    assertThat(firstChunk).as("visited before the second batch: both, one by one").endsWith(first, second);
    assertThat(lastChunk).as("visited after it: one frame up to it").endsWith(1L, second).doesNotContain(first);
    source.assertConverged(all, Map.of());
  }

  private static long sendOne(Source source, String key, Random random) {
    long before = source.fannedOut.get(key);
    do {
      source.batch(key, random);
    } while (source.fannedOut.get(key) == before);
    return source.fannedOut.get(key);
  }

  /** Runs the node and has the clients read until neither has anything left to do (bounded: a livelock fails). */
  private static void settle(Source source, List<ApplyingClient> all) {
    boolean moved = true;
    for (int round = 0; moved; round++) {
      assertThat(round).as("rounds until the clients read everything and the node sends nothing more (it did not settle)")
        .isLessThan(1000);
      source.run(-1);
      moved = false;
      for (ApplyingClient c : all) {
        moved |= c.read();
      }
      moved |= !source.later.isEmpty();
    }
  }

  /** A page's question, of its {@code follow}-th follow of the instance: the reply is matched to it. */
  record Question(PageClient page, int follow) {
  }

  private static ApplyingClient join(Source source, ApplyingClient c, String... keys) {
    source.fanOut.add(c);
    for (String key : keys) {
      follow(source, c, key);
    }
    return c;
  }

  /**
   * A stream client subscribes with its snapshot; a page registers, then asks for it, its question reaching the node a
   * turn later (it holds what the node sends it meanwhile).
   */
  private static void follow(Source source, ApplyingClient c, String key) {
    if (c instanceof PageClient page) {
      page.ready.remove(key);
      page.held.remove(key);
      page.tables.remove(key);
      page.followed.add(key);
      int follow = page.follows.merge(key, 1, Integer::sum);
      page.source = source;
      source.fanOut.subscribe(page, key, false);
      source.later.add(() -> {
        if (!page.closed && page.keys.contains(key)) {
          source.ask(page, key, follow);
        }
      });
    } else {
      source.fanOut.subscribe(c, key, true);
    }
  }

  /** A client stops following an instance it follows, or starts following one it does not. */
  private static void toggleOne(Source source, Random random, List<ApplyingClient> all, Map<ApplyingClient, List<String>> follows) {
    toggleOne(source, random, all, follows, true);
  }

  /**
   * Without {@code pages}, a page keeps what it follows: one that drops an instance and follows it again while its
   * question's answer is under way (or, slow, while frames of the first follow are unread) may be sent the first
   * answer as the second's, a known limit (answers are not matched to questions; the page fetches again when a batch
   * does not fit).
   */
  private static void toggleOne(Source source, Random random, List<ApplyingClient> all, Map<ApplyingClient, List<String>> follows,
                                boolean pages) {
    ApplyingClient c = all.get(random.nextInt(all.size()));
    String key = source.keys.get(random.nextInt(source.keys.size()));
    if (!pages && c instanceof PageClient) {
      return;
    }
    if (follows.get(c).remove(key)) {
      source.fanOut.unsubscribe(c, key);
      if (c instanceof PageClient page) {
        page.followed.remove(key);
      }
      c.timestamps.remove(key); // following it again starts over
    } else {
      follows.get(c).add(key);
      follow(source, c, key);
    }
  }

  /** {@code n} clients, each following some of the source's instances (recorded in {@code follows}). */
  private static List<ApplyingClient> joinSome(Source source, Random random, Map<ApplyingClient, List<String>> follows, int n) {
    List<ApplyingClient> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      all.add(joinSome(source, random, follows));
    }
    return all;
  }

  /** A client (a SockJS session, a page on the bridge, or a stream) following a random non-empty set of the instances. */
  private static ApplyingClient joinSome(Source source, Random random, Map<ApplyingClient, List<String>> follows) {
    return joinSome(source, random, follows, false);
  }

  private static ApplyingClient joinSome(Source source, Random random, Map<ApplyingClient, List<String>> follows, boolean slow) {
    List<String> keys = new ArrayList<>();
    for (String key : source.keys) {
      if (random.nextBoolean()) {
        keys.add(key);
      }
    }
    if (keys.isEmpty()) {
      keys.add(source.keys.get(random.nextInt(source.keys.size())));
    }
    ApplyingClient client = switch (random.nextInt(3)) {
      case 0 -> new BundlingClient();
      case 1 -> new PageClient();
      default -> new ApplyingClient();
    };
    client.slow = slow;
    ApplyingClient c = join(source, client, keys.toArray(String[]::new));
    follows.put(c, keys);
    return c;
  }
}
