package wikirecent.tail;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import wikirecent.tail.FakeMaterialize.Error;
import wikirecent.tail.FakeMaterialize.Fetch;
import wikirecent.tail.FakeMaterialize.Rows;
import wikirecent.tail.FakeMaterialize.TailRow;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@link FakeMaterialize.TailSource} that derives TAIL output from a recentchanges file the way
 * Materialize v0.26 would with {@code sql/views.sql}: it tails the file (complete lines only),
 * keeps the lines matching {@code ^data: (?P<data>.*)}, reads each event's fields, gives each
 * batch of new events one timestamp (1 s apart, as {@code timestamp_frequency_ms} does: the
 * timestamp is Materialize's clock, which the windows of the shaped views end at), and computes
 * the views. Each session starts with a snapshot of the current state at the current time; after
 * it, every timestamp's changes to counter, user_edits and top10 come one event at a time,
 * unconsolidated (a row retracted and inserted again within a timestamp, as Materialize sends them), those
 * of the other views ({@link MzModel}) as one diff per timestamp, rows leaving a window included;
 * progress rows follow some timestamps and not others. A data line that is not JSON wedges every
 * view, as a failed cast does in Materialize: each FETCH then gets the evaluation error.
 * <p>
 * Deliberately simple and separate from the code under test: counts in a map, views sorted from
 * scratch.
 */
final class RecentChangesTail implements FakeMaterialize.TailSource {

  private static final Pattern DATA = Pattern.compile("^data: (.*)");
  private static final long TICK = 1000;
  private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** One timestamp: the events it took in. */
  record Step(long timestamp, List<MzModel.Event> events) {

    /** The users of the events (null for a missing user). */
    List<String> users() {
      return events.stream().map(MzModel.Event::user).toList();
    }
  }

  private static final java.util.Set<String> PER_EVENT = java.util.Set.of("counter", "user_edits", "top10");

  private static final class Session {
    int next;              // the first step not yet sent
    boolean snapshotSent;
    long shownAt;          // the clock of the last state sent (views whose windows end at the clock)
  }

  private final Path file;
  private final int maxEventsPerTimestamp;
  private final List<Step> steps = new ArrayList<>();
  private final Map<String, Session> sessions = new HashMap<>();
  private long offset;
  private long now;
  private String wedged;

  RecentChangesTail(Path file, long startTime, int maxEventsPerTimestamp) {
    this.file = file;
    this.now = startTime;
    this.maxEventsPerTimestamp = maxEventsPerTimestamp;
  }

  @Override
  public synchronized void declared(String view) {
    ingest();
    Session s = new Session();
    s.next = steps.size();
    sessions.put(view, s);
  }

  @Override
  public synchronized Fetch next(String view) {
    ingest();
    if (wedged != null) {
      return new Error("XX000", "Evaluation error: invalid input syntax for type jsonb: " + wedged);
    }
    Session s = sessions.get(view);
    if (!PER_EVENT.contains(view)) {
      return shaped(view, s);
    }
    List<TailRow> out = new ArrayList<>();
    if (!s.snapshotSent) {
      s.snapshotSent = true;
      long asOf = s.next == 0 ? now : steps.get(s.next - 1).timestamp();
      Map<String, Long> counts = countsThrough(s.next);
      out.add(TailRow.progress(asOf)); // as Materialize starts a TAIL: the AS OF first, then the rows at it
      for (List<Object> row : rows(view, counts)) {
        out.add(TailRow.data(asOf, 1, row.toArray()));
      }
      if (view.equals("top10") && !counts.isEmpty()) {
        // an unconsolidated snapshot, as Materialize sends: a row in and out again at the same time
        out.add(TailRow.data(asOf, 1, "ghost", 1L));
        out.add(TailRow.data(asOf, -1, "ghost", 1L));
      }
      out.add(TailRow.progress(asOf + 1));
      return new Rows(out);
    }
    if (s.next == steps.size()) {
      return null; // nothing new: the FETCH waits, then answers FETCH 0
    }
    Map<String, Long> counts = countsThrough(s.next);
    for (; s.next < steps.size(); s.next++) {
      Step step = steps.get(s.next);
      for (String user : step.users()) {
        List<List<Object>> before = rows(view, counts);
        counts.merge(user, 1L, Long::sum);
        List<List<Object>> after = rows(view, counts);
        for (List<Object> row : before) {
          if (!after.contains(row)) {
            out.add(TailRow.data(step.timestamp(), -1, row.toArray()));
          }
        }
        for (List<Object> row : after) {
          if (!before.contains(row)) {
            out.add(TailRow.data(step.timestamp(), 1, row.toArray()));
          }
        }
      }
      if (s.next % 2 == 0) {
        out.add(TailRow.progress(step.timestamp() + 1));
      }
    }
    out.add(TailRow.progress(steps.get(steps.size() - 1).timestamp() + 1));
    return new Rows(out);
  }

  // Any other view of views.sql: a snapshot, then one consolidated diff per timestamp, over the model at that clock.
  private Fetch shaped(String view, Session s) {
    List<TailRow> out = new ArrayList<>();
    if (!s.snapshotSent) {
      s.snapshotSent = true;
      long asOf = s.next == 0 ? now : steps.get(s.next - 1).timestamp();
      s.shownAt = asOf;
      out.add(TailRow.progress(asOf));
      for (List<Object> row : MzModel.rows(view, eventsThrough(s.next), asOf)) {
        out.add(TailRow.data(asOf, 1, row.toArray()));
      }
      out.add(TailRow.progress(asOf + 1));
      return new Rows(out);
    }
    if (s.next == steps.size()) {
      return null;
    }
    for (; s.next < steps.size(); s.next++) {
      Step step = steps.get(s.next);
      List<List<Object>> before = MzModel.rows(view, eventsThrough(s.next), s.shownAt);
      List<List<Object>> after = MzModel.rows(view, eventsThrough(s.next + 1), step.timestamp());
      for (List<Object> row : minus(before, after)) {
        out.add(TailRow.data(step.timestamp(), -1, row.toArray()));
      }
      for (List<Object> row : minus(after, before)) {
        out.add(TailRow.data(step.timestamp(), 1, row.toArray()));
      }
      s.shownAt = step.timestamp();
    }
    out.add(TailRow.progress(steps.get(steps.size() - 1).timestamp() + 1));
    return new Rows(out);
  }

  private List<MzModel.Event> eventsThrough(int stepCount) {
    List<MzModel.Event> events = new ArrayList<>();
    for (int i = 0; i < stepCount; i++) {
      events.addAll(steps.get(i).events());
    }
    return events;
  }

  private static List<List<Object>> minus(List<List<Object>> a, List<List<Object>> b) {
    List<List<Object>> out = new ArrayList<>(a);
    for (List<Object> row : b) {
      out.remove(row);
    }
    return out;
  }

  /** The events Materialize has taken in at or before {@code timestamp}. */
  synchronized List<MzModel.Event> eventsAt(long timestamp) {
    List<MzModel.Event> events = new ArrayList<>();
    for (Step s : steps) {
      if (s.timestamp() <= timestamp) {
        events.addAll(s.events());
      }
    }
    return events;
  }

  /** How many events Materialize has taken in at or before {@code timestamp}. */
  synchronized int eventsThrough(long timestamp) {
    int n = 0;
    for (Step s : steps) {
      if (s.timestamp() <= timestamp) {
        n += s.users().size();
      }
    }
    return n;
  }

  synchronized long lastTimestamp() {
    return steps.isEmpty() ? now : steps.get(steps.size() - 1).timestamp();
  }

  private Map<String, Long> countsThrough(int stepCount) {
    Map<String, Long> counts = new HashMap<>();
    for (int i = 0; i < stepCount; i++) {
      for (String u : steps.get(i).users()) {
        counts.merge(u, 1L, Long::sum);
      }
    }
    return counts;
  }

  // The views' rows from the per-user counts (a null key is the NULL user).
  private static List<List<Object>> rows(String view, Map<String, Long> counts) {
    List<List<Object>> rows = new ArrayList<>();
    if (view.equals("counter")) {
      long total = counts.values().stream().mapToLong(Long::longValue).sum();
      rows.add(List.of(total));
      return rows;
    }
    counts.forEach((user, count) -> {
      List<Object> row = new ArrayList<>();
      row.add(user);
      row.add(count);
      rows.add(row);
    });
    if (view.equals("top10")) {
      rows.sort(Comparator.<List<Object>, Long>comparing(r -> (Long) r.get(1)).reversed()
        .thenComparing(r -> (String) r.get(0), Comparator.nullsLast(RecentChangesTail::byBytes)));
      return new ArrayList<>(rows.subList(0, Math.min(10, rows.size())));
    }
    return rows;
  }

  // Materialize orders text by its UTF-8 bytes.
  private static int byBytes(String a, String b) {
    return java.util.Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  // Reads the complete lines appended since last time; new events get timestamps.
  private void ingest() {
    if (wedged != null || !Files.exists(file)) {
      return;
    }
    byte[] fresh;
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      long length = f.length();
      if (length <= offset) {
        return;
      }
      fresh = new byte[(int) (length - offset)];
      f.seek(offset);
      f.readFully(fresh);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int lastNewline = -1;
    for (int i = fresh.length - 1; i >= 0; i--) {
      if (fresh[i] == '\n') {
        lastNewline = i;
        break;
      }
    }
    if (lastNewline < 0) {
      return;
    }
    offset += lastNewline + 1;
    List<MzModel.Event> events = new ArrayList<>();
    for (String line : new String(fresh, 0, lastNewline, StandardCharsets.UTF_8).split("\n", -1)) {
      Matcher m = DATA.matcher(line);
      if (!m.find()) {
        continue;
      }
      try {
        String user = user(JSON.readTree(m.group(1)));
        MzModel.Event e = MzModel.Event.of(m.group(1));
        events.add(new MzModel.Event(user, e.wiki(), e.bot(), e.ts()));
      } catch (IOException e) {
        wedged = "\"" + m.group(1) + "\"";
        return;
      }
    }
    for (int from = 0; from < events.size(); from += maxEventsPerTimestamp) {
      now += TICK;
      steps.add(new Step(now, new ArrayList<>(events.subList(from, Math.min(events.size(), from + maxEventsPerTimestamp)))));
    }
  }

  // val->>'user': the text of the field, NULL if it is missing, JSON null, or val is no object.
  private static String user(JsonNode val) {
    if (val == null || !val.isObject()) {
      return null;
    }
    JsonNode user = val.get("user");
    if (user == null || user.isNull()) {
      return null;
    }
    return user.isTextual() ? user.asText() : user.toString();
  }
}
