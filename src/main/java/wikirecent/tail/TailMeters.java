package wikirecent.tail;

import io.micrometer.core.instrument.Counter;
import wikirecent.status.Meters;

/** One view's TAIL meters ({@code wikirecent_views_*}, labelled with the view). */
final class TailMeters {

  final Counter fetches;
  final Counter dataRows;
  final Counter progressRows;
  final Counter snapshotsPublished;
  final Counter batchesPublished;
  final Counter sessionsStarted;
  final Counter sessionFailures;
  final Counter sqlErrors;
  final Counter protocolErrors;
  final Counter stalls;
  final Counter snapshotBuilds;

  TailMeters(Meters meters, String view) {
    fetches = meters.counter("wikirecent.views.tail.fetches", "FETCHes on the view's TAIL answered", "view", view);
    dataRows = meters.counter("wikirecent.views.tail.rows", "TAIL rows received", "view", view, "kind", "data");
    progressRows = meters.counter("wikirecent.views.tail.rows", "TAIL rows received", "view", view, "kind", "progress");
    snapshotsPublished = meters.counter("wikirecent.views.snapshots.published", "Reset snapshots published on the event bus (when the source goes live, and whenever it starts over)", "view", view);
    batchesPublished = meters.counter("wikirecent.views.batches.published", "Batches published on the event bus", "view", view);
    sessionsStarted = meters.counter("wikirecent.views.tail.sessions.started", "TAIL sessions declared on Materialize", "view", view);
    sessionFailures = meters.counter("wikirecent.views.tail.session.failures", "TAIL sessions that ended (connection lost, SQL error, stall, bad output) and were retried", "view", view);
    sqlErrors = meters.counter("wikirecent.views.tail.sql.errors", "Statements Materialize refused", "view", view);
    protocolErrors = meters.counter("wikirecent.views.tail.protocol.errors", "FETCHes whose rows broke TAIL's rules (the session was started over)", "view", view);
    stalls = meters.counter("wikirecent.views.tail.stalls", "Statements with no answer within materialize.stallMillis (the session was started over)", "view", view);
    snapshotBuilds = meters.counter("wikirecent.views.tail.snapshot.builds", "Snapshots put in the view's order off the event loop to answer requests (at most one per change of the rows)", "view", view);
  }
}
