package wikirecent.engine;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import wikirecent.bus.ViewParams;
import wikirecent.bus.ViewParams.Window;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Shaped views: any {@link ViewParams} served live from state kept per event, never from the file.
 * Pure: no Vert.x, no files, no bus; single-threaded.
 * <p>
 * What it keeps, enough to build a new instance of any parameter set at any moment:
 * <ul>
 *   <li>dictionaries of users and wikis (name to dense int id, NULL is id 0): about 70 bytes per name with its String;</li>
 *   <li>every (wiki, bot, user) group ever seen, with its all-time count, for {@code window=all}: 16 bytes of key and
 *       count plus 4 to 8 of table, 24 to 48 bytes per group with the arrays' room to grow;</li>
 *   <li>the events of the last 24 h of event time ({@code ts > wm - 86400}) as group ids in per-second buckets
 *       ({@link EventRing}): 4 bytes per event plus 32 per second, about 5 bytes per event at 40/s; older events
 *       only live on in the groups' counts.</li>
 * </ul>
 * A day at 40 events/s over 1,000 wikis and 100k users (3.46M events, 310k groups in {@code ShapedBench}'s mix) is
 * about 17 MB of events, 13 MB of groups and 7 MB of names by these figures; the benchmark measures 41 MB of heap.
 * The events stay bounded by the day; the names and groups grow with what is new over all time, as
 * {@code user_edits} does. A live instance adds 32 to 64 bytes per group it counts: a 24 h top10 over every wiki
 * counts every user of the day (~5 MB).
 * <p>
 * The watermark {@code wm} is the largest event time applied (none while no event had one) and never goes
 * back. An event is in window W iff it has a time and {@code ts > wm - W}. When an event moves the
 * watermark, the events leaving each window are taken out of the live instances of that window before
 * the event is added. Live instances are indexed by window and wiki, so an event touches only those it can
 * match. {@link #closeBatch} turns what changed into one consolidated message per instance.
 */
public final class ShapedCore {

  static final int VERSION = 1;
  private static final int CHUNK = 1 << 14; // group ids per write or read
  private static final long DAY = EventRing.SECONDS;
  private static final long HOUR = 3600;
  private static final int ANY = -1;
  private static final int UNKNOWN = -2; // a wiki no event has named yet
  private static final Window[] WINDOWS = Window.values();
  private static final Window[] EXPIRING = {Window.FIVE_MINUTES, Window.HOUR, Window.DAY};

  private final NameIds users = new NameIds();
  private final NameIds wikis = new NameIds();
  private final Groups groups = new Groups();
  private final EventRing ring = new EventRing();
  private long wm = EventParser.NO_TS;
  private long events;

  private final Map<ViewParams, ShapedInstance> live = new HashMap<>();
  private final Index[] index = new Index[WINDOWS.length];
  private final Map<String, List<ShapedInstance>> waiting = new HashMap<>();
  private final List<ShapedInstance> changed = new ArrayList<>();

  public ShapedCore() {
    for (int i = 0; i < index.length; i++) {
      index[i] = new Index();
    }
  }

  /** The event the parser last accepted. */
  void apply(EventParser p) {
    apply(p.user(), p.wiki(), p.bot(), p.ts());
  }

  /** One event: user and wiki null for NULL, {@code ts} {@link EventParser#NO_TS} for none. */
  public void apply(String user, String wiki, boolean bot, long ts) {
    int u = users.id(user);
    int newId = wikis.size();
    int w = wikis.id(wiki);
    if (w == newId && !waiting.isEmpty()) {
      attachWaiting(wiki, w);
    }
    if (ts > wm) {
      advance(ts); // NO_TS is below every time, and wm is NO_TS until one comes
    }
    long key = Groups.key(u, w, bot);
    int g = groups.add(key, 1);
    events++;
    if (ts != EventParser.NO_TS && ts > wm - DAY) {
      ring.add(ts, g);
    }
    if (live.isEmpty()) {
      return;
    }
    for (Window window : WINDOWS) {
      Index ix = index[window.ordinal()];
      if (ix.size > 0 && (window == Window.ALL || (ts != EventParser.NO_TS && ts > wm - window.seconds()))) {
        touch(ix.any, key, ts, 1);
        touch(ix.of(w), key, ts, 1);
      }
    }
  }

  private void touch(ShapedInstance[] instances, long key, long ts, long delta) {
    for (ShapedInstance inst : instances) {
      if (inst.botMatches(Groups.bot(key)) && inst.add(key, ts, delta)) {
        changed.add(inst);
      }
    }
  }

  // The watermark moves from wm to ts: each window loses the seconds in (wm - W, ts - W], then the ring those past a day.
  private void advance(long ts) {
    long old = wm;
    wm = ts;
    if (old == EventParser.NO_TS) {
      return; // nothing was stored
    }
    for (Window window : EXPIRING) {
      Index ix = index[window.ordinal()];
      if (ix.size == 0) {
        continue;
      }
      for (long s = Math.max(0, old - window.seconds() + 1), end = Math.min(old, ts - window.seconds()); s <= end; s++) {
        int[] bucket = ring.bucket(s);
        for (int i = 0, n = ring.count(s); i < n; i++) {
          long key = groups.key(bucket[i]);
          touch(ix.any, key, s, -1);
          touch(ix.of(Groups.wiki(key)), key, s, -1);
        }
      }
    }
    for (long s = Math.max(0, old - HOUR + 1), end = Math.min(old, ts - HOUR); s <= end; s++) {
      ring.trim(s);
    }
    for (long s = Math.max(0, old - DAY + 1), end = Math.min(old, ts - DAY); s <= end; s++) {
      ring.drop(s);
    }
  }

  /**
   * Makes the parameter set live (built from the state, if it was not) and returns its snapshot at
   * {@code timestamp}: the rows as of the last {@link #closeBatch}, or as built for a new instance, so
   * that the next batch applies to it.
   */
  public JsonObject open(ViewParams params, long timestamp) {
    ShapedInstance inst = live.get(params);
    if (inst == null) {
      inst = build(params);
      live.put(params, inst);
      if (inst.wiki == UNKNOWN) {
        waiting.computeIfAbsent(params.wiki(), k -> new ArrayList<>()).add(inst);
      } else {
        index[params.window().ordinal()].add(inst);
      }
    }
    return inst.snapshot(timestamp);
  }

  private ShapedInstance build(ViewParams params) {
    int w = params.wiki() == null ? ANY : wikis.find(params.wiki());
    ShapedInstance inst = new ShapedInstance(params, w < 0 && params.wiki() != null ? UNKNOWN : w, users, wikis);
    if (inst.wiki != UNKNOWN) {
      if (params.window() == Window.ALL) {
        for (int g = 0; g < groups.size(); g++) {
          long key = groups.key(g);
          if (matches(inst, key)) {
            inst.addBuilding(key, 0, groups.count(g));
          }
        }
      } else if (wm != EventParser.NO_TS) {
        for (long s = Math.max(0, wm - params.window().seconds() + 1); s <= wm; s++) {
          int[] bucket = ring.bucket(s);
          for (int i = 0, n = ring.count(s); i < n; i++) {
            long key = groups.key(bucket[i]);
            if (matches(inst, key)) {
              inst.addBuilding(key, s, 1);
            }
          }
        }
      }
    }
    inst.built();
    return inst;
  }

  private static boolean matches(ShapedInstance inst, long key) {
    return (inst.wiki == ANY || inst.wiki == Groups.wiki(key)) && inst.botMatches(Groups.bot(key));
  }

  // The first event of a wiki that instances were opened for: from now on they are indexed under its id.
  private void attachWaiting(String wiki, int id) {
    List<ShapedInstance> list = waiting.remove(wiki);
    if (list != null) {
      for (ShapedInstance inst : list) {
        inst.wiki = id;
        index[inst.params.window().ordinal()].add(inst);
      }
    }
  }

  /** Drops a live instance; false if it was not live. */
  public boolean close(ViewParams params) {
    ShapedInstance inst = live.remove(params);
    if (inst == null) {
      return false;
    }
    if (inst.wiki == UNKNOWN) {
      List<ShapedInstance> list = waiting.get(params.wiki());
      list.remove(inst);
      if (list.isEmpty()) {
        waiting.remove(params.wiki());
      }
    } else {
      index[params.window().ordinal()].remove(inst);
    }
    changed.remove(inst);
    return true;
  }

  public boolean isOpen(ViewParams params) {
    return live.containsKey(params);
  }

  public Set<ViewParams> live() {
    return Set.copyOf(live.keySet());
  }

  /** A live instance's current rows (top lists in rank order). */
  public JsonArray rows(ViewParams params) {
    ShapedInstance inst = live.get(params);
    if (inst == null) {
      throw new IllegalStateException(params + " is not open");
    }
    return inst.rows();
  }

  /** True if some live instance was touched since the last batch (its rows may still be as they were). */
  public boolean pending() {
    return !changed.isEmpty();
  }

  /**
   * The consolidated changes since the last batch, at {@code timestamp}: one message per live instance
   * whose rows changed, none for the others. Starts the next batch.
   */
  public List<JsonObject> closeBatch(long timestamp) {
    List<JsonObject> out = new ArrayList<>();
    for (ShapedInstance inst : changed) {
      JsonObject m = inst.closeBatch(timestamp);
      if (m != null) {
        out.add(m);
      }
    }
    changed.clear();
    return out;
  }

  /** The largest event time applied, or {@link EventParser#NO_TS}. */
  public long watermark() {
    return wm;
  }

  /** Events applied (the counter's value). */
  public long events() {
    return events;
  }

  /** Events kept for the windows (those of the last 24 h of event time). */
  public long windowEvents() {
    return ring.size();
  }

  /** Distinct users (NULL included), wikis (NULL included) and (wiki, bot, user) groups. */
  public int users() {
    return users.size();
  }

  public int wikis() {
    return wikis.size();
  }

  /** The id of a user name (0 for NULL), -1 if no event named it. Ids are dense: 0 to {@link #users()} - 1. */
  int userId(String user) {
    return users.find(user);
  }

  /** The name of a user id (null for 0, the NULL user). */
  String userName(int id) {
    return users.name(id);
  }

  public int groups() {
    return groups.size();
  }

  // --- serialization of the state (not of the live instances) ---

  /**
   * Writes the state: version, events, watermark, the two dictionaries in id order (int length + UTF-8),
   * the groups in id order (key, count), then the stored seconds (second, event count, group ids).
   */
  public void write(DataOutput out) throws IOException {
    out.writeInt(VERSION);
    out.writeLong(events);
    out.writeLong(wm);
    writeNames(out, users);
    writeNames(out, wikis);
    out.writeInt(groups.size());
    for (int g = 0; g < groups.size(); g++) {
      out.writeLong(groups.key(g));
      out.writeLong(groups.count(g));
    }
    int seconds = 0;
    for (long s = firstStored(); s <= wm; s++) {
      seconds += ring.count(s) > 0 ? 1 : 0;
    }
    out.writeInt(seconds);
    for (long s = firstStored(); s <= wm; s++) {
      int n = ring.count(s);
      if (n > 0) {
        out.writeLong(s);
        out.writeInt(n);
        int[] bucket = ring.bucket(s);
        for (int from = 0; from < n; from += CHUNK) {
          int k = Math.min(CHUNK, n - from);
          ByteBuffer b = ByteBuffer.allocate(4 * k); // big-endian, as writeInt: one write, not four per id
          b.asIntBuffer().put(bucket, from, k);
          out.write(b.array());
        }
      }
    }
  }

  private long firstStored() {
    return Math.max(0, wm - DAY + 1);
  }

  private static void writeNames(DataOutput out, NameIds names) throws IOException {
    out.writeInt(names.size());
    for (int id = 1; id < names.size(); id++) {
      byte[] b = names.name(id).getBytes(StandardCharsets.UTF_8);
      out.writeInt(b.length);
      out.write(b);
    }
  }

  /** Reads what {@link #write} wrote; an {@link IOException} if it is not that. */
  public static ShapedCore read(DataInput in) throws IOException {
    int version = in.readInt();
    if (version != VERSION) {
      throw new IOException("shaped state has version " + version + ", this build reads " + VERSION);
    }
    ShapedCore c = new ShapedCore();
    c.events = in.readLong();
    c.wm = in.readLong();
    if (c.events < 0 || c.wm < EventParser.NO_TS || c.wm > EventParser.MAX_TS) {
      throw corrupt("events " + c.events + ", watermark " + c.wm);
    }
    readNames(in, c.users);
    readNames(in, c.wikis);
    int groups = in.readInt();
    if (groups < 0) {
      throw corrupt(groups + " groups");
    }
    long total = 0;
    for (int g = 0; g < groups; g++) {
      long key = in.readLong();
      long count = in.readLong();
      if (Groups.user(key) < 0 || Groups.user(key) >= c.users.size() || Groups.wiki(key) >= c.wikis.size()
        || count <= 0 || c.groups.add(key, count) != g) {
        throw corrupt("group " + g);
      }
      total += count;
    }
    if (total != c.events) {
      throw corrupt("the groups hold " + total + " events, not " + c.events);
    }
    int seconds = in.readInt();
    long last = -1;
    for (int k = 0; k < seconds; k++) {
      long s = in.readLong();
      int n = in.readInt();
      if (s <= last || s < c.firstStored() || s > c.wm || n <= 0 || n > c.events - c.ring.size()) {
        throw corrupt("second " + s + " with " + n + " events");
      }
      for (int from = 0; from < n; from += CHUNK) {
        int len = Math.min(CHUNK, n - from);
        byte[] b = new byte[4 * len];
        in.readFully(b);
        IntBuffer ids = ByteBuffer.wrap(b).asIntBuffer();
        for (int i = 0; i < len; i++) {
          int g = ids.get(i);
          if (g < 0 || g >= groups) {
            throw corrupt("group id " + g);
          }
          c.ring.add(s, g);
        }
      }
      if (s <= c.wm - HOUR) {
        c.ring.trim(s);
      }
      last = s;
    }
    return c;
  }

  private static void readNames(DataInput in, NameIds names) throws IOException {
    int size = in.readInt();
    if (size < 1) {
      throw corrupt(size + " names");
    }
    var decoder = StandardCharsets.UTF_8.newDecoder()
      .onMalformedInput(CodingErrorAction.REPORT)
      .onUnmappableCharacter(CodingErrorAction.REPORT);
    for (int id = 1; id < size; id++) {
      String name;
      try {
        name = decoder.decode(ByteBuffer.wrap(readBytes(in))).toString();
      } catch (CharacterCodingException e) {
        throw corrupt("name " + id + " is not UTF-8");
      }
      if (names.id(name) != id) {
        throw corrupt("name " + id + " twice");
      }
    }
  }

  // In steps, so that a damaged length runs into the end of the input rather than allocating it.
  private static byte[] readBytes(DataInput in) throws IOException {
    int len = in.readInt();
    if (len < 0) {
      throw corrupt("length " + len);
    }
    byte[] b = new byte[Math.min(len, 1 << 16)];
    in.readFully(b);
    while (b.length < len) {
      int have = b.length;
      b = Arrays.copyOf(b, (int) Math.min(len, 2L * have));
      in.readFully(b, have, b.length - have);
    }
    return b;
  }

  private static IOException corrupt(String what) {
    return new IOException("shaped state is corrupt: " + what);
  }

  /** Live instances of one window: those of any wiki, and per wiki id. Copy-on-write: events far outnumber opens. */
  private static final class Index {
    private static final ShapedInstance[] NONE = new ShapedInstance[0];

    ShapedInstance[] any = NONE;
    ShapedInstance[][] byWiki = new ShapedInstance[0][];
    int size;

    ShapedInstance[] of(int wiki) {
      return wiki < byWiki.length && byWiki[wiki] != null ? byWiki[wiki] : NONE;
    }

    void add(ShapedInstance inst) {
      if (inst.wiki == ANY) {
        any = with(any, inst);
      } else {
        if (inst.wiki >= byWiki.length) {
          byWiki = Arrays.copyOf(byWiki, Math.max(inst.wiki + 1, 2 * byWiki.length));
        }
        byWiki[inst.wiki] = with(of(inst.wiki), inst);
      }
      size++;
    }

    void remove(ShapedInstance inst) {
      if (inst.wiki == ANY) {
        any = without(any, inst);
      } else {
        byWiki[inst.wiki] = without(byWiki[inst.wiki], inst);
      }
      size--;
    }

    private static ShapedInstance[] with(ShapedInstance[] a, ShapedInstance inst) {
      ShapedInstance[] b = Arrays.copyOf(a, a.length + 1);
      b[a.length] = inst;
      return b;
    }

    private static ShapedInstance[] without(ShapedInstance[] a, ShapedInstance inst) {
      List<ShapedInstance> rest = new ArrayList<>(Arrays.asList(a));
      rest.remove(inst);
      return rest.toArray(NONE);
    }
  }
}
