package wikirecent.ingest;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Which events become records: drops canaries, data that is not a JSON object PostgreSQL's jsonb accepts
 * ({@link EventJson}), events over the size limit and re-delivered {@code meta.id}s (a window the size of
 * {@code ingest.dedupeWindow}, reset to what the file holds whenever it is opened); counts each, and logs the
 * ones a feed can cause at most once per 10 s. Event-loop only.
 */
final class EventFilter {

  private static final Logger log = LoggerFactory.getLogger(EventFilter.class);

  /**
   * Receives an event to append: its id as written, its {@code meta.dt} (or null), and its data on one line,
   * {@code data[off, off+len)}, valid during the call only (the record is built from it there).
   */
  @FunctionalInterface
  interface Sink {
    void take(String id, String dt, byte[] data, int off, int len);
  }

  private final EventPipeline.Settings settings;
  private final IngestMeters counters;
  private final EventJson json = new EventJson();
  private final LogThrottle invalidLog = new LogThrottle(10_000);
  private final LogThrottle errorLog = new LogThrottle(10_000);
  private final LogThrottle longIdLog = new LogThrottle(10_000);
  private RecentIds recentIds;
  private String blankedId; // the last id too long to write, so it is said once

  EventFilter(EventPipeline.Settings settings, IngestMeters counters) {
    this.settings = settings;
    this.counters = counters;
    this.recentIds = new RecentIds(settings.dedupeWindow());
  }

  /** The dedupe window becomes these {@code meta.id}s, oldest first: what the file holds. */
  void reset(List<String> ids) {
    recentIds = new RecentIds(settings.dedupeWindow());
    ids.forEach(recentIds::add);
  }

  void take(SseEvent event, Sink sink) {
    take(event.type(), event.lastEventId(), event.data(), 0, event.data().length, sink);
  }

  /** The event whose data is {@code data[from, to)}, read in place: the record is the one copy made of it. */
  void take(String type, String lastEventId, byte[] data, int from, int to, Sink sink) {
    if (!SseEvent.MESSAGE.equals(type)) {
      otherEvent(type, data, from, to);
      return;
    }
    switch (json.read(data, from, to - from)) {
      case INVALID -> skipInvalid(lastEventId, json.reason(), new String(data, from, to - from, StandardCharsets.UTF_8));
      case CANARY -> counters.canariesDropped.increment();
      case EVENT -> {
        String metaId = json.metaId();
        if (metaId == null) {
          counters.eventsWithoutMetaId.increment();
        } else if (!recentIds.add(metaId)) {
          counters.duplicatesDropped.increment();
          return;
        }
        String id = storedId(lastEventId);
        if (json.hasLineBreak()) {
          byte[] line = EventJson.oneLine(data, from, to - from);
          sink.take(id, json.metaDt(), line, 0, line.length);
        } else {
          sink.take(id, json.metaDt(), data, from, to - from);
        }
      }
    }
  }

  /**
   * The id as the record holds it: as received, but empty when it is longer than {@code stream.maxResumeIdBytes}.
   * Such an id cannot be used to resume (ingest resumes by time after it), and SSE ids last until the next
   * {@code id:} line, so one huge id would otherwise be copied into every record that follows.
   */
  private String storedId(String id) {
    if (!Ids.longerThan(id, settings.maxResumeIdBytes())) {
      return id;
    }
    if (id != blankedId && !id.equals(blankedId)) { // once per id: a parser hands out one String until it changes
      blankedId = id;
      long suppressed = longIdLog.admit(System.currentTimeMillis());
      if (suppressed >= 0) {
        log.warn("The feed sent an id of {} bytes, longer than stream.maxResumeIdBytes ({}): records carry an empty id until the "
          + "next one, and ingest resumes after them by time; id {}{}", id.getBytes(StandardCharsets.UTF_8).length,
          settings.maxResumeIdBytes(), Ids.shown(id), more(suppressed));
      }
    }
    return "";
  }

  /** An event being dropped as it comes, because one line of it ({@code oneLine}) or its data passed the limit. */
  void oversized(String lastEventId, long bytes, boolean oneLine) {
    counters.eventsOversized.increment(); // one reason per skipped event: oversized, not also invalid
    if (!oneLine) {
      logInvalid(lastEventId, "longer than the limit", "(" + bytes + " bytes)");
      return;
    }
    counters.oversizedLinesDropped.increment();
    long suppressed = invalidLog.admit(System.currentTimeMillis());
    if (suppressed >= 0) {
      log.warn("Dropped a line longer than {} bytes (ingest.maxEventBytes) after id {}: the rest of it is skipped as it comes, "
        + "and its event with it{}", settings.maxEventBytes(), Ids.shown(lastEventId), more(suppressed));
    }
  }

  /** A comment line dropped as it comes, past the limit; no event is lost with it. */
  void oversizedComment(long bytes) {
    counters.oversizedLinesDropped.increment();
    long suppressed = invalidLog.admit(System.currentTimeMillis());
    if (suppressed >= 0) {
      log.warn("Dropping a comment line as it comes ({} bytes so far, over ingest.maxEventBytes, {}); the events around it"
        + " are kept{}", bytes, settings.maxEventBytes(), more(suppressed));
    }
  }

  private void otherEvent(String type, byte[] data, int from, int to) {
    if ("error".equals(type)) {
      counters.errorEvents.increment();
      long suppressed = errorLog.admit(System.currentTimeMillis());
      if (suppressed >= 0) {
        log.warn("The stream sent an error event: {}{}", EventPipeline.excerpt(new String(data, from, to - from, StandardCharsets.UTF_8)),
          more(suppressed));
      }
    } else {
      counters.otherEvents.increment();
      log.debug("Ignored an event of type {}", type);
    }
  }

  private void skipInvalid(String id, String reason, String data) {
    counters.eventsSkippedInvalid.increment();
    logInvalid(id, reason, data);
  }

  private void logInvalid(String id, String reason, String data) {
    long suppressed = invalidLog.admit(System.currentTimeMillis());
    if (suppressed >= 0) {
      log.warn("Skipped an event whose data is not one JSON object PostgreSQL's jsonb accepts ({}), id {}: {}{}", reason,
        Ids.shown(id), EventPipeline.excerpt(data), more(suppressed));
    }
  }

  private static String more(long suppressed) {
    return suppressed > 0 ? " (and " + suppressed + " more since the last such line)" : "";
  }
}
