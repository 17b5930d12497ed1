package wikirecent.ingest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import wikirecent.status.Meters;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * The ingest part's meters ({@code wikirecent_ingest_*}), counted where ingest counts them. Every event
 * received is either written or skipped with one reason.
 */
final class IngestMeters {

  private static final String SKIPPED = "wikirecent.ingest.events.skipped";
  private static final String SKIPPED_HELP = "Events received but not written, by reason: invalid (not one JSON object PostgreSQL's "
    + "jsonb accepts), oversized (longer than ingest.maxEventBytes), canary (Wikimedia's test events), duplicate (a meta.id "
    + "already in the file), error_event and other_event (SSE events that are not messages)";

  private final Meters meters;
  final Counter eventsWritten;
  final Counter bytesWritten;
  final Counter eventsSkippedInvalid;
  final Counter eventsOversized;
  final Counter canariesDropped;
  final Counter duplicatesDropped;
  final Counter errorEvents;
  final Counter otherEvents;
  final Counter eventsWithoutMetaId;
  final Counter connections;
  final Counter reconnects;
  final Counter httpRefusals;
  final Counter writeFailures;
  final Counter tornBytesCut;
  /** Connections that started by time or at the live edge because the last id could not be (or was not) taken back. */
  final Counter resumeIdFallbacks;
  /** Lines longer than ingest.maxEventBytes, dropped the moment they passed it (also counted as oversized events). */
  final Counter oversizedLinesDropped;
  /** Connections cut because no complete event or heartbeat came for stream.idleTimeoutSeconds. */
  final Counter idleCuts;
  /** Times the path stopped naming the file ingest was writing (renamed, deleted, replaced). */
  final Counter filesMoved;
  /** Appends that first put the file back on a record boundary (it had shrunk or been written by someone else). */
  final Counter recordsRepaired;
  /** The data file's size: a gauge, since cutting a torn record makes it smaller. */
  final AtomicLong fileBytes = new AtomicLong();

  IngestMeters(MeterRegistry registry) {
    meters = new Meters(registry);
    eventsWritten = meters.counter("wikirecent.ingest.events.written", "Events appended to the data file");
    bytesWritten = meters.counter("wikirecent.ingest.written.bytes", "Bytes appended to the data file");
    eventsSkippedInvalid = meters.counter(SKIPPED, SKIPPED_HELP, "reason", "invalid");
    eventsOversized = meters.counter(SKIPPED, SKIPPED_HELP, "reason", "oversized");
    canariesDropped = meters.counter(SKIPPED, SKIPPED_HELP, "reason", "canary");
    duplicatesDropped = meters.counter(SKIPPED, SKIPPED_HELP, "reason", "duplicate");
    errorEvents = meters.counter(SKIPPED, SKIPPED_HELP, "reason", "error_event");
    otherEvents = meters.counter(SKIPPED, SKIPPED_HELP, "reason", "other_event");
    eventsWithoutMetaId = meters.counter("wikirecent.ingest.events.without.meta.id", "Events written without a meta.id (they cannot be told apart from a re-delivery)");
    connections = meters.counter("wikirecent.ingest.connections", "Connections opened to the stream");
    reconnects = meters.counter("wikirecent.ingest.reconnects", "Reconnects after the stream ended, failed or refused");
    httpRefusals = meters.counter("wikirecent.ingest.http.refusals", "Connections the stream answered with an HTTP error status or a response that is not an event stream");
    writeFailures = meters.counter("wikirecent.ingest.write.failures", "Appends or fsyncs of the data file that failed (ingest stops taking events until it can write)");
    tornBytesCut = meters.counter("wikirecent.ingest.torn.cut.bytes", "Bytes of an incomplete last record cut off the data file when it was opened");
    resumeIdFallbacks = meters.counter("wikirecent.ingest.resume.id.fallbacks", "Connections that resumed by time (?since=) or at the live edge because the last id could not be sent back or was refused");
    oversizedLinesDropped = meters.counter("wikirecent.ingest.oversized.lines.dropped", "Lines longer than ingest.maxEventBytes, dropped as they came (their events count as oversized)");
    idleCuts = meters.counter("wikirecent.ingest.idle.cuts", "Connections cut because no complete event or heartbeat came for stream.idleTimeoutSeconds");
    filesMoved = meters.counter("wikirecent.ingest.files.moved", "Times the data file's path stopped naming the file ingest was writing (renamed, deleted, replaced)");
    recordsRepaired = meters.counter("wikirecent.ingest.records.repaired", "Appends that first put the data file back on a record boundary (it had shrunk or been written to by someone else)");
    meters.gauge("wikirecent.ingest.file.size.bytes", "The data file's size", fileBytes, AtomicLong::get);
  }

  /** The gauges that read the part itself: whether it is live, and the write queue's bytes (back-pressure). */
  void bind(BooleanSupplier live, LongSupplier queuedBytes) {
    meters.gauge("wikirecent.ingest.up", "1 when ingest is live (streaming, or briefly reconnecting, and able to write)", live, l -> l.getAsBoolean() ? 1 : 0);
    meters.gauge("wikirecent.ingest.queued.bytes", "Bytes of records queued for the writer (the stream is paused above ingest.maxQueuedBytes)", queuedBytes, LongSupplier::getAsLong);
  }

  void close() {
    meters.close();
  }
}
