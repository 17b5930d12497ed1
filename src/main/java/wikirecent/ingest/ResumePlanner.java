package wikirecent.ingest;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Decides where each connection starts, and never the same refused start twice in a row:
 * <ol>
 *   <li>a fresh (empty) file starts {@code stream.backfillMinutes} back, computed once per file (0: the live
 *       edge);</li>
 *   <li>by id, when the file's last id can go back to the server byte for byte ({@link Ids#problem}) and the
 *       server did not refuse it;</li>
 *   <li>else (no usable id) by time: {@code since=} the {@code meta.dt} of the last event written (the events
 *       at that time come again and are dropped by {@code meta.id});</li>
 *   <li>else, or when the server refused that time too, at the live edge.</li>
 * </ol>
 * Each fallback is logged once, with its reason, and counted. When even a request with neither id nor time is
 * refused, the refusals were not about where to resume (a proxy refusing everything): the refused id and time
 * are forgotten until a connection succeeds, so a passing outage does not cost the events since the last id.
 * Event-loop only.
 */
final class ResumePlanner {

  private static final Logger log = LoggerFactory.getLogger(ResumePlanner.class);

  /** What a server or proxy answers when it will not take a request's header or URL. */
  private static final Set<Integer> REQUEST_REFUSED = Set.of(400, 413, 414, 431);

  private final int maxIdBytes;
  private final long backfillMinutes;
  private final Supplier<Instant> clock;
  private final IngestMeters counters;

  private String refusedId;      // the id the server refused, with why
  private String refusedIdWhy;
  private Instant refusedSince;  // the time the server refused
  private String fallbackFor;    // the id whose fallback was logged and counted last
  private Instant backfillFrom;  // the fresh file's start, once computed
  private boolean refusesAll;    // even the live edge was refused: the id and time were not the cause

  ResumePlanner(int maxIdBytes, long backfillMinutes, Supplier<Instant> clock, IngestMeters counters) {
    this.maxIdBytes = maxIdBytes;
    this.backfillMinutes = backfillMinutes;
    this.clock = clock;
    this.counters = counters;
  }

  /**
   * @param lastId    the id of the last record in the file ({@code ""} if none)
   * @param lastDt    the {@code meta.dt} of the last event in the file that has one, or null
   * @param freshFile the file is empty (a new file that took a moved one's place comes with that one's id and time)
   */
  ResumePoint plan(String lastId, String lastDt, boolean freshFile) {
    Instant lastTime = Since.ofMetaDt(lastDt);
    if (freshFile && lastId.isEmpty() && lastDt == null) {
      if (backfillMinutes == 0) {
        return ResumePoint.liveEdge("stream.backfillMinutes=0");
      }
      if (backfillFrom == null) {
        backfillFrom = clock.get().minus(Duration.ofMinutes(backfillMinutes));
      }
      return byTime(backfillFrom, "stream.backfillMinutes=" + backfillMinutes + " back: the file is fresh");
    }
    String problem = lastId.isEmpty() ? "the last record written has no id"
      : lastId.equals(refusedId) && !refusesAll ? refusedIdWhy
      : Ids.problem(lastId, maxIdBytes);
    if (problem == null) {
      fallbackFor = null;
      return ResumePoint.byId(lastId);
    }
    ResumePoint instead = byTime(lastTime, "the time of the last event written");
    if (!lastId.equals(fallbackFor)) {
      fallback(lastId, problem, instead);
    }
    return instead;
  }

  private ResumePoint byTime(Instant since, String why) {
    if (since == null) {
      return ResumePoint.liveEdge("no event time to resume from");
    }
    if (since.equals(refusedSince) && !refusesAll) {
      return ResumePoint.liveEdge("the server refused since=" + Since.format(since));
    }
    return ResumePoint.bySince(since, why);
  }

  /**
   * The server refused a request with {@code status}. True if the next connection starts elsewhere because of
   * it (the request's id or time was the likely cause): logged here, once; false for any other refusal.
   */
  boolean refused(ResumePoint sent, int status, String reason) {
    if (!REQUEST_REFUSED.contains(status) || refusesAll) {
      return false;
    }
    if (sent.id() == null && sent.since() == null) {
      if (refusedId != null || refusedSince != null) {
        refusesAll = true;
        log.warn("The server refuses a request with neither id nor time too (HTTP {}): its refusals were not about where to "
          + "resume, so ingest resumes as before once it answers again", status);
      }
      return false;
    }
    String why = "HTTP " + status + " to a request with it (" + EventPipeline.excerpt(reason) + ")";
    if (sent.id() != null && !sent.id().equals(refusedId)) {
      refusedId = sent.id();
      refusedIdWhy = "the server answered " + why;
      fallbackFor = null;
      return true;
    }
    if (sent.since() != null && !sent.since().equals(refusedSince)) {
      refusedSince = sent.since();
      counters.resumeIdFallbacks.increment();
      log.warn("Not resuming since={}: the server answered {}; starting at the live edge, so events since then may be missing",
        Since.format(sent.since()), why);
      return true;
    }
    return false;
  }

  /** A connection that started at {@code sent} was answered with an event stream: that start is fine after all. */
  void connected(ResumePoint sent) {
    refusesAll = false;
    if (sent.id() != null && sent.id().equals(refusedId)) {
      refusedId = null;
    }
    if (sent.since() != null && sent.since().equals(refusedSince)) {
      refusedSince = null;
    }
  }

  /** A new file: its own start (its backfill, or what it says). */
  void newFile() {
    backfillFrom = null;
  }

  private void fallback(String id, String problem, ResumePoint instead) {
    fallbackFor = id;
    counters.resumeIdFallbacks.increment();
    String next = instead.since() != null
      ? "resuming from since=" + Since.format(instead.since()) + ", the time of the last event written (events seen again are dropped by meta.id)"
      : "resuming from the live edge (" + instead.why() + "), so events since the last one written may be missing";
    log.warn("Not resuming by id ({}): {}{}", problem, next, id.isEmpty() ? "" : "; id " + Ids.shown(id));
  }

}
