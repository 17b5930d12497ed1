package wikirecent.ingest;

import java.time.Instant;

/**
 * Where one connection asks the feed to start: after an id ({@code Last-Event-ID}), at a time ({@code ?since=}),
 * or at the live edge (neither).
 *
 * @param id    sent as Last-Event-ID, or null
 * @param since sent as {@code ?since=}, or null
 * @param why   for the log: why this point (e.g. "the time of the last event written")
 */
record ResumePoint(String id, Instant since, String why) {

  static ResumePoint byId(String id) {
    return new ResumePoint(id, null, "the last id written");
  }

  static ResumePoint bySince(Instant since, String why) {
    return new ResumePoint(null, since, why);
  }

  static ResumePoint liveEdge(String why) {
    return new ResumePoint(null, null, why);
  }

  /** As the log and the status say it. */
  String describe() {
    if (id != null) {
      return "resumed from id " + Ids.shown(id);
    }
    if (since != null) {
      return "no Last-Event-ID, from since=" + Since.format(since) + " (" + why + ")";
    }
    return "no Last-Event-ID, starting from the live edge" + (why.isEmpty() ? "" : " (" + why + ")");
  }
}
