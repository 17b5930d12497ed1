package wikirecent.web;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import wikirecent.bus.ViewMessage;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fan-out's per-client memory bound against a small model of it: any interleaving of
 * frames sent, snapshots asked for and writes completing keeps the queue within the bound, drops
 * exactly what the model drops, and restarts a drained client from a snapshot.
 */
class FanOutTest {

  private static final int BOUND = 1000;

  /** A client whose writes complete only when the test says so. */
  static class SlowClient extends TestClient {
    final Deque<Promise<Void>> pending = new ArrayDeque<>();
    final Deque<Integer> pendingLengths = new ArrayDeque<>();
    final List<String> written = new ArrayList<>();

    @Override
    Future<Void> write(Buffer frame) {
      Promise<Void> p = Promise.promise();
      pending.add(p);
      pendingLengths.add(frame.length());
      written.add(frame.toString());
      return p.future();
    }

    void completeOne() {
      pendingLengths.poll();
      pending.poll().complete();
    }
  }

  /**
   * An operation: a frame of this many bytes sent to the client, (0) one pending write completing, or (-1) the client
   * asking for the snapshot (answered in a frame of its own, as a bridge client's request is).
   */
  @Provide
  Arbitrary<List<Integer>> operations() {
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(1, 1500)),
        net.jqwik.api.Tuple.of(2, Arbitraries.just(0)),
        net.jqwik.api.Tuple.of(1, Arbitraries.just(-1)))
      .list().ofMinSize(1).ofMaxSize(200);
  }

  @Property
  void queuedBytesStayWithinTheBoundAndADrainedClientGetsASnapshot(@ForAll("operations") List<Integer> ops,
                                                                   @ForAll boolean joinWithSnapshot, @ForAll boolean largeSnapshot) {
    JsonArray rows = new JsonArray();
    for (int i = 0; i < (largeSnapshot ? 100 : 1); i++) {
      rows.add(new JsonArray().add("user " + i).add(i));
    }
    Encoded snapshot = Encoded.of("top10", ViewMessage.snapshot("top10", 1, rows));
    assertThat(snapshot.length() > BOUND).isEqualTo(largeSnapshot);
    FanOut fanOut = new FanOut(BOUND, new WebMetrics(), view -> snapshot);
    SlowClient client = new SlowClient();
    fanOut.add(client);
    fanOut.subscribe(client, "top10", joinWithSnapshot);

    // The model: lengths queued, which of them is the one snapshot not held against the bound, stalled or not,
    // frames dropped, snapshots sent.
    Deque<Integer> queued = new ArrayDeque<>();
    Deque<Boolean> exempt = new ArrayDeque<>();
    boolean stalled = false;
    long dropped = 0;
    int snapshots = 0;
    if (joinWithSnapshot) {
      queued.add(snapshot.length());
      exempt.add(true);
      snapshots++;
    }
    long largest = snapshot.length();
    for (int op : ops) {
      long exemptBytes = exemptBytes(queued, exempt);
      if (op < 0) {
        // One snapshot in flight is not held against the bound, even behind queued batches; a second one is.
        boolean free = exemptBytes == 0;
        long held = queued.stream().mapToLong(Integer::longValue).sum() - exemptBytes;
        boolean written = fanOut.sendSnapshot(client, snapshot.length(), () -> client.write(Buffer.buffer(snapshot.json)), snapshot);
        if (!stalled && held > 0 && held + (free ? 0 : snapshot.length()) > BOUND) {
          stalled = true;
        }
        if (stalled) {
          dropped++;
          assertThat(written).isFalse();
        } else {
          queued.add(snapshot.length());
          exempt.add(free);
          snapshots++;
          assertThat(written).isTrue();
        }
      } else if (op > 0) {
        largest = Math.max(largest, op);
        long held = queued.stream().mapToLong(Integer::longValue).sum() - exemptBytes;
        boolean written = fanOut.send(client, Buffer.buffer("x".repeat(op)));
        if (!stalled && held > 0 && held + op > BOUND) {
          stalled = true;
        }
        if (stalled) {
          dropped++;
          assertThat(written).isFalse();
        } else {
          queued.add(op);
          exempt.add(false);
          assertThat(written).isTrue();
        }
      } else if (!queued.isEmpty()) {
        client.completeOne();
        queued.poll();
        exempt.poll();
        if (stalled && queued.isEmpty()) {
          stalled = false;
          queued.add(snapshot.length());
          exempt.add(true);
          snapshots++;
        }
      }
      long sum = queued.stream().mapToLong(Integer::longValue).sum();
      assertThat(client.queuedBytes).isEqualTo(sum);
      assertThat(client.snapshotBytes).isEqualTo(exemptBytes(queued, exempt));
      assertThat(client.stalled).isEqualTo(stalled);
      assertThat(client.framesDropped).isEqualTo(dropped);
      assertThat(List.copyOf(client.pendingLengths)).isEqualTo(List.copyOf(queued));
      assertThat(client.queuedBytes).isLessThanOrEqualTo(Math.max(BOUND, largest) + snapshot.length());
    }
    assertThat(client.written.stream().filter(w -> w.equals(snapshot.json)).count()).isEqualTo(snapshots);
  }

  private static long exemptBytes(Deque<Integer> queued, Deque<Boolean> exempt) {
    long n = 0;
    var e = exempt.iterator();
    for (int length : queued) {
      n += e.next() ? length : 0;
    }
    return n;
  }

  /**
   * A drained client following two instances whose snapshots each carry a since larger than the bound gets both
   * snapshots and both sinces, and drains for good. Were a since held against the bound, the second snapshot would
   * stall the client behind the first one's since, and every drain would resend the same two frames without end.
   */
  @org.junit.jupiter.api.Test
  void aDrainedClientGetsEachSnapshotAndItsSinceEvenWhenTheSinceIsLargerThanTheBound() {
    Map<String, Encoded> snapshots = new HashMap<>();
    for (String view : List.of("top10", "user_edits")) {
      Encoded snapshot = Encoded.of(view, ViewMessage.snapshot(view, 1, users(1)));
      snapshot.since = Encoded.of(view, ViewMessage.batch(view, 2, users(100), new JsonArray()));
      assertThat(snapshot.since.length()).isGreaterThan(BOUND);
      snapshots.put(view, snapshot);
    }
    FanOut fanOut = new FanOut(BOUND, new WebMetrics(), snapshots::get);
    SlowClient client = new SlowClient();
    fanOut.add(client);
    fanOut.subscribe(client, "top10", false);
    fanOut.subscribe(client, "user_edits", false);
    fanOut.send(client, Buffer.buffer("x".repeat(BOUND)));
    fanOut.send(client, Buffer.buffer("x"));
    assertThat(client.stalled).isTrue();

    int completed = 0;
    while (!client.pending.isEmpty()) {
      assertThat(++completed).as("writes completed before the client drained for good").isLessThan(20);
      client.completeOne();
    }
    assertThat(client.stalled).isFalse();
    assertThat(client.queuedBytes).isZero();
    assertThat(client.snapshotBytes).as("the exempt bytes were given back").isZero();
    for (Encoded snapshot : snapshots.values()) {
      assertThat(client.written).as(snapshot.key).containsOnlyOnce(snapshot.json, snapshot.since.json);
    }
    assertThat(client.at).containsEntry("top10", 2L).containsEntry("user_edits", 2L);
  }

  /**
   * A page's answer and the batch merging what came while it was built: no batch of the instance while the page asks,
   * then the answer, its since (exempt with it: here larger than the bound, behind a full queue), and the batches
   * after the since, nothing before it.
   */
  @org.junit.jupiter.api.Test
  void anAnswerIsFollowedByItsSinceAndTheBatchesGoOnFromIt() {
    FanOut fanOut = new FanOut(BOUND, new WebMetrics(), key -> null);
    SlowClient client = new SlowClient();
    fanOut.add(client);
    fanOut.subscribe(client, "top10", false);
    fanOut.asking(client, "top10");
    fanOut.batch("top10", ViewMessage.batch("top10", 2, users(1), new JsonArray()), 1);
    assertThat(client.written).as("nothing while it asks").isEmpty();
    fanOut.send(client, Buffer.buffer("x".repeat(BOUND)));

    Encoded answer = Encoded.of("top10", ViewMessage.snapshot("top10", 1, users(1)));
    answer.since = Encoded.of("top10", ViewMessage.batch("top10", 2, users(100), new JsonArray()));
    assertThat(answer.since.length()).isGreaterThan(BOUND);
    Buffer frame = Buffer.buffer(answer.json);
    assertThat(fanOut.sendSnapshot(client, frame.length(), () -> client.write(frame), answer)).isTrue();
    assertThat(client.stalled).isFalse();
    while (!client.pending.isEmpty()) {
      client.completeOne();
    }
    fanOut.batch("top10", ViewMessage.batch("top10", 3, users(3), new JsonArray()), 2);

    assertThat(client.written.subList(1, client.written.size()))
      .containsExactly(answer.json, answer.since.json, ViewMessage.batch("top10", 3, users(3), new JsonArray()).encode());
    assertThat(client.at).containsEntry("top10", 3L);
  }

  /**
   * A second snapshot of an instance while one is in flight counts against the bound in full, and so does its since:
   * one that does not fit stalls the client, which holds the second snapshot's state until it drains and is sent a
   * fresh one. Exempt, each snapshot could bring its since past the bound, without limit.
   */
  @org.junit.jupiter.api.Test
  void aSinceAfterASnapshotThatCountsCountsToo() {
    Encoded fresh = Encoded.of("top10", ViewMessage.snapshot("top10", 4, users(2)));
    FanOut fanOut = new FanOut(BOUND, new WebMetrics(), key -> fresh);
    SlowClient client = new SlowClient();
    fanOut.add(client);
    fanOut.subscribe(client, "top10", true); // the first snapshot, in flight
    assertThat(client.snapshotsInFlight).contains("top10");

    Encoded second = Encoded.of("top10", ViewMessage.snapshot("top10", 2, users(1)));
    second.since = Encoded.of("top10", ViewMessage.batch("top10", 3, users(100), new JsonArray()));
    assertThat(fanOut.send(client, second)).isTrue();
    assertThat(client.written).as("the since is dropped").doesNotContain(second.since.json);
    assertThat(client.stalled).isTrue();
    assertThat(client.at).containsEntry("top10", 2L);

    while (!client.pending.isEmpty()) {
      client.completeOne();
    }
    assertThat(client.stalled).isFalse();
    assertThat(client.written).last().isEqualTo(fresh.json);
    assertThat(client.at).containsEntry("top10", 4L);
  }

  /**
   * Answers for instances the client does not follow are exempt from the bound one at a time, not one per instance: a
   * client that asks for one after another and never reads stalls on its third and is closed as stuck, instead of
   * holding every answer for good. (Two at once still go: the first exempt, the second into an empty counted queue.)
   */
  @org.junit.jupiter.api.Test
  void answersForInstancesNotFollowedAreExemptOneAtATime() {
    FanOut fanOut = new FanOut(BOUND, new WebMetrics(), key -> null);
    SlowClient client = new SlowClient();
    fanOut.add(client);
    for (String key : List.of("user_edits", "top10", "top_wikis")) {
      Encoded answer = Encoded.of(key, ViewMessage.snapshot(key, 1, users(100)));
      assertThat(answer.length()).isGreaterThan(BOUND);
      Buffer frame = Buffer.buffer(answer.json);
      fanOut.sendSnapshot(client, frame.length(), () -> client.write(frame), answer);
    }
    assertThat(client.written).as("the exempt one, then one into the empty counted queue; the third does not fit").hasSize(2);
    assertThat(client.stalled).isTrue();
    fanOut.closeStuck(System.currentTimeMillis() + 60_000, 1);
    assertThat(fanOut.clients()).doesNotContain(client);
  }

  /**
   * A batch that goes by while the client asks is one it lacks: if the answer then fails, the next batch is not sent
   * on top of its old state (a gap nothing would repair); it waits for a snapshot.
   */
  @org.junit.jupiter.api.Test
  void aFailedAnswerLeavesNoGap() {
    Encoded first = Encoded.of("top10", ViewMessage.snapshot("top10", 1, users(1)));
    FanOut fanOut = new FanOut(BOUND, new WebMetrics(), key -> first);
    SlowClient client = new SlowClient();
    fanOut.add(client);
    fanOut.subscribe(client, "top10", true);
    assertThat(client.at).containsEntry("top10", 1L);
    fanOut.asking(client, "top10");
    fanOut.batch("top10", ViewMessage.batch("top10", 2, users(2), users(1)), 1);
    fanOut.batch("top10", ViewMessage.batch("top10", 3, users(3), users(2)), 2);
    fanOut.notAnswered(client, "top10");
    fanOut.batch("top10", ViewMessage.batch("top10", 4, users(4), users(3)), 3);
    assertThat(client.written).containsExactly(first.json);
    assertThat(client.at).doesNotContainKey("top10");

    Encoded later = Encoded.of("top10", ViewMessage.snapshot("top10", 4, users(4)));
    fanOut.snapshotReady(later);
    assertThat(client.written).containsExactly(first.json, later.json);
  }

  /**
   * A stalled client is still told that an instance it followed ended: a drain resends only what it still follows, so
   * a dropped notice would leave its panel waiting for good.
   */
  @org.junit.jupiter.api.Test
  void aStalledClientIsToldItsInstanceEnded() {
    FanOut fanOut = new FanOut(BOUND, new WebMetrics(), key -> null);
    HeldSocket socket = new HeldSocket();
    BridgeClient client = new BridgeClient(socket, fanOut, null, new WebMetrics(), BOUND);
    client.start(() -> { });
    fanOut.subscribe(client, "top10?wiki=enwiki", false);
    fanOut.send(client, Buffer.buffer("x".repeat(BOUND)));
    fanOut.send(client, Buffer.buffer("x".repeat(BOUND)));
    assertThat(client.stalled).isTrue();
    fanOut.end("top10?wiki=enwiki", new OpenFailure(429, "too many"));
    while (!socket.pending.isEmpty()) {
      socket.pending.poll().complete();
    }
    JsonObject err = new JsonObject(socket.written.get(socket.written.size() - 1));
    assertThat(err.getString("type")).isEqualTo("err");
    assertThat(err.getString("address")).isEqualTo("views.top10?wiki=enwiki");
    assertThat(err.getInteger("failureCode")).isEqualTo(429);
    assertThat(client.queuedBytes).isZero();
    assertThat(client.stalled).isFalse();
  }

  /** A reply on vertx-web's transports is made only when written, and counts what it will be. */
  @org.junit.jupiter.api.Test
  void aReplyIsMadeOnlyIfWrittenAndCountsItsLength() {
    HeldSocket socket = new HeldSocket();
    Encoded snapshot = Encoded.of("user_edits", ViewMessage.snapshot("user_edits", 1, users(3).add(new JsonArray().add("\u0416\u4e2d").add(1))));
    BridgeSocket.Unsent reply = socket.reply("a \"reply\" \u00e9", snapshot);
    assertThat(socket.written).as("nothing made yet").isEmpty();
    reply.write().get();
    assertThat(socket.written).hasSize(1);
    assertThat(reply.length()).as("its UTF-8 bytes").isEqualTo(socket.written.get(0).getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
    JsonObject rec = new JsonObject(socket.written.get(0));
    assertThat(rec.getString("address")).isEqualTo("a \"reply\" \u00e9");
    assertThat(rec.getJsonObject("body")).isEqualTo(new JsonObject(snapshot.json));
  }

  /** A bridge socket whose writes complete only when the test says so. */
  static final class HeldSocket implements BridgeSocket {
    final Deque<Promise<Void>> pending = new ArrayDeque<>();
    final List<String> written = new ArrayList<>();

    @Override
    public void start(io.vertx.core.Handler<Buffer> messages, io.vertx.core.Handler<Void> closed) {
    }

    @Override
    public Buffer frame(Encoded message) {
      return message.envelope();
    }

    @Override
    public Future<Void> write(Encoded message, Buffer frame) {
      return write(frame);
    }

    @Override
    public Future<Void> write(Buffer bridgeMessage) {
      Promise<Void> p = Promise.promise();
      pending.add(p);
      written.add(bridgeMessage.toString());
      return p.future();
    }

    @Override
    public void setWriteQueueMaxSize(int bytes) {
    }

    @Override
    public boolean writeQueueFull() {
      return false;
    }

    @Override
    public io.vertx.core.net.SocketAddress remoteAddress() {
      return io.vertx.core.net.SocketAddress.inetSocketAddress(1, "127.0.0.1");
    }

    @Override
    public void close() {
    }
  }

  private static JsonArray users(int n) {
    JsonArray rows = new JsonArray();
    for (int i = 0; i < n; i++) {
      rows.add(new JsonArray().add("user " + i).add(i));
    }
    return rows;
  }

  /**
   * Crowded (batches merged) from 100 subscriptions on the node, whether they follow one view or many; a small
   * audience never is, and leaving (unsubscribing, or the client going) counts back down.
   */
  @org.junit.jupiter.api.Test
  void aNodeIsCrowdedFromAHundredSubscriptionsOverAllViews() {
    FanOut fanOut = new FanOut(BOUND, new WebMetrics(), view -> null);
    List<SlowClient> clients = new ArrayList<>();
    for (int i = 0; i < 99; i++) {
      SlowClient c = new SlowClient();
      fanOut.add(c);
      fanOut.subscribe(c, "top10?wiki=w" + (i % 10), false);
      clients.add(c);
    }
    fanOut.subscribe(clients.get(0), "top10?wiki=w0", false); // already following: not counted twice
    assertThat(fanOut.crowded("top10?wiki=w0")).isFalse();
    assertThat(fanOut.crowded("counter")).isFalse();

    fanOut.subscribe(clients.get(1), "counter", false);
    assertThat(fanOut.crowded("top10?wiki=w0")).isTrue();
    assertThat(fanOut.crowded("counter")).as("even a view with one follower").isTrue();

    fanOut.unsubscribe(clients.get(1), "counter");
    assertThat(fanOut.crowded("counter")).isFalse();
    fanOut.subscribe(clients.get(2), "counter", false);
    fanOut.remove(clients.get(2)); // both of its subscriptions go
    assertThat(fanOut.crowded("top10?wiki=w3")).isFalse();
  }

  /**
   * A client that drained is sent every followed view's snapshot at once; each is exempt from the bound, so the batches
   * after them flow. (With one exempt in all, a large view's snapshot after a small one counted in full: the next batch
   * stalled the client again, the drain resent both, and so on for good.)
   */
  @org.junit.jupiter.api.Test
  void aDrainedClientOfSeveralViewsTakesTheirSnapshotsAndTheBatchesAfter() {
    JsonArray many = new JsonArray();
    for (int i = 0; i < 200; i++) {
      many.add(new JsonArray().add("user " + i).add(i));
    }
    Encoded counter = Encoded.of("counter", ViewMessage.snapshot("counter", 5, new JsonArray().add(new JsonArray().add(7))));
    Encoded users = Encoded.of("user_edits", ViewMessage.snapshot("user_edits", 5, many));
    assertThat(users.length()).isGreaterThan(BOUND);
    FanOut fanOut = new FanOut(BOUND, new WebMetrics(), key -> key.equals("counter") ? counter : users, key -> 4, Runnable::run);
    SlowClient client = new SlowClient();
    fanOut.add(client);
    fanOut.subscribe(client, "counter", false);
    fanOut.subscribe(client, "user_edits", false);

    assertThat(fanOut.send(client, Buffer.buffer("x".repeat(600)))).isTrue();
    assertThat(fanOut.send(client, Buffer.buffer("x".repeat(600)))).isFalse();
    assertThat(client.stalled).isTrue();
    client.completeOne(); // drained: both snapshots go
    assertThat(client.stalled).isFalse();
    assertThat(client.written).endsWith(counter.json, users.json);
    assertThat(client.snapshotBytes).isEqualTo(client.queuedBytes).isEqualTo(counter.length() + users.length());

    for (int i = 0; i < 3; i++) {
      assertThat(fanOut.send(client, Buffer.buffer("b" + i + "x".repeat(200)))).as("batch " + i).isTrue();
    }
    assertThat(client.stalled).isFalse();
    while (!client.pending.isEmpty()) {
      client.completeOne();
    }
    assertThat(client.queuedBytes).isZero();
    assertThat(client.snapshotBytes).isZero();
    assertThat(client.snapshotsInFlight).isEmpty();
    assertThat(client.framesDropped).isEqualTo(1);

    // A second snapshot of one instance in flight counts in full, as before.
    assertThat(fanOut.sendSnapshot(client, users.length(), () -> client.write(Buffer.buffer(users.json)), users)).isTrue();
    assertThat(fanOut.sendSnapshot(client, users.length(), () -> client.write(Buffer.buffer(users.json)), users)).isTrue();
    assertThat(client.snapshotBytes).isEqualTo(users.length());
    assertThat(fanOut.send(client, Buffer.buffer("after"))).isFalse();
    assertThat(client.stalled).isTrue();
  }

  /** Only a client written nothing since the last look is pinged: one getting batches needs no sign of life asked. */
  @org.junit.jupiter.api.Test
  void onlyAQuietClientIsPinged() {
    FanOut fanOut = new FanOut(BOUND, new WebMetrics(), view -> null);
    int[] pings = {0};
    TestClient client = new TestClient() {
      @Override
      Future<Void> write(Buffer frame) {
        return Future.succeededFuture();
      }

      @Override
      void ping() {
        pings[0]++;
      }
    };
    fanOut.add(client);
    client.pingIfQuiet(); // the first look: it may just have connected
    assertThat(pings[0]).isZero();
    client.pingIfQuiet();
    assertThat(pings[0]).as("nothing written since").isEqualTo(1);
    fanOut.send(client, Buffer.buffer("a batch"));
    client.pingIfQuiet();
    assertThat(pings[0]).as("written to meanwhile").isEqualTo(1);
    client.pingIfQuiet();
    assertThat(pings[0]).isEqualTo(2);
  }

  /** An instance its source refused (ended) counts its followers out too: else each refusal would leave the node more crowded. */
  @org.junit.jupiter.api.Test
  void anInstanceThatEndsCountsItsFollowersOut() {
    FanOut fanOut = new FanOut(BOUND, new WebMetrics(), view -> null);
    List<SlowClient> clients = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      SlowClient c = new SlowClient();
      fanOut.add(c);
      fanOut.subscribe(c, "top10?wiki=w" + (i % 3), false);
      fanOut.subscribe(c, "counter", false);
      clients.add(c);
    }
    fanOut.asking(clients.get(0), "top10?wiki=w0");
    assertThat(fanOut.crowded("counter")).as("120 subscriptions").isTrue();
    for (int i = 0; i < 3; i++) {
      fanOut.end("top10?wiki=w" + i, new OpenFailure(501, "refused"));
    }
    assertThat(fanOut.crowded("counter")).as("60 subscriptions left").isFalse();
    assertThat(clients.get(0).keys).containsExactly("counter");
    assertThat(clients.get(0).asking).isEmpty();
    fanOut.remove(clients.get(0));
    fanOut.subscribe(clients.get(1), "top10?wiki=w0", false); // following it again, once
    for (int i = 0; i < 40; i++) {
      fanOut.subscribe(clients.get(2 + i), "top10", false);
    }
    assertThat(fanOut.crowded("counter")).as("59 + 1 + 40 subscriptions").isTrue();
    fanOut.unsubscribe(clients.get(1), "top10?wiki=w0");
    assertThat(fanOut.crowded("counter")).as("99").isFalse();
  }
}
