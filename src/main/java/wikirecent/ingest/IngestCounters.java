package wikirecent.ingest;

import io.vertx.core.json.JsonObject;

/**
 * What ingest has done since it started. Plain fields, touched on the verticle's event loop only; the web part
 * renders them into /metrics as {@code wikirecent_ingest_<name>}: {@link #toJson} as counters (they only go up),
 * {@link #gauges} as gauges (they also go down).
 */
final class IngestCounters {
  long eventsWritten;
  long bytesWritten;
  long eventsSkippedInvalid;
  long eventsOversized;
  long canariesDropped;
  long duplicatesDropped;
  long eventsWithoutMetaId;
  long errorEvents;
  long otherEvents;
  long connections;
  long reconnects;
  long httpRefusals;
  long writeFailures;
  long tornBytesCut;
  /** Connections that started by time or at the live edge because the last id could not be (or was not) taken back. */
  long resumeIdFallbacks;
  /** Lines longer than ingest.maxEventBytes, dropped when they passed it. */
  long oversizedLinesDropped;
  /** Connections cut because no complete event or heartbeat came for stream.idleTimeoutSeconds. */
  long idleCuts;
  /** Times the path stopped naming the file ingest was writing (renamed, deleted, replaced). */
  long filesMoved;
  /** Appends that first put the file back on a record boundary (it had shrunk or been written by someone else). */
  long recordsRepaired;
  /** The data file's size: a gauge, since cutting a torn record makes it smaller. */
  long fileBytes;

  JsonObject toJson() {
    return new JsonObject()
      .put("events_written", eventsWritten)
      .put("bytes_written", bytesWritten)
      .put("events_skipped_invalid", eventsSkippedInvalid)
      .put("events_oversized", eventsOversized)
      .put("canaries_dropped", canariesDropped)
      .put("duplicates_dropped", duplicatesDropped)
      .put("events_without_meta_id", eventsWithoutMetaId)
      .put("error_events", errorEvents)
      .put("other_events", otherEvents)
      .put("connections", connections)
      .put("reconnects", reconnects)
      .put("http_refusals", httpRefusals)
      .put("write_failures", writeFailures)
      .put("torn_bytes_cut", tornBytesCut)
      .put("resume_id_fallbacks", resumeIdFallbacks)
      .put("oversized_lines_dropped", oversizedLinesDropped)
      .put("idle_cuts", idleCuts)
      .put("files_moved", filesMoved)
      .put("records_repaired", recordsRepaired);
  }

  /** The values that go down as well as up; {@code queuedBytes} is the write queue's back-pressure count. */
  JsonObject gauges(long queuedBytes) {
    return new JsonObject()
      .put("file_bytes", fileBytes)
      .put("queued_bytes", queuedBytes);
  }
}
