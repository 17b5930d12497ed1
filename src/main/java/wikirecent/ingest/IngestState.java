package wikirecent.ingest;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * Where ingest's connection life is. {@link IngestLoop#enter} is the one place it changes; the name starts the
 * status detail.
 * <pre>
 *   STARTING ──▶ CONNECTING ──▶ STREAMING
 *                  ▲    │          │
 *                  │    ▼          ▼
 *                  └─ WAITING ◀────┘           (a connection ended: back off, reconnect)
 *
 *   CONNECTING, STREAMING, WAITING ──▶ WRITE_BLOCKED ──▶ CONNECTING   (the file cannot be written: disk timer)
 *   CONNECTING, STREAMING, WAITING ──▶ FILE_MOVED ──▶ CONNECTING      (the path names another file: reopen)
 *   any ──▶ STOPPED
 * </pre>
 */
enum IngestState {
  /** Opening the file, before the first connection. */
  STARTING,
  /** A request is out; no event stream yet. */
  CONNECTING,
  /** Reading the event stream. */
  STREAMING,
  /** A connection ended; the reconnect timer runs. */
  WAITING,
  /** The file cannot be written; no events are taken; the disk timer retries. */
  WRITE_BLOCKED,
  /** The path no longer names the file being written; reopening it. */
  FILE_MOVED,
  STOPPED;

  private static final Set<IngestState> RUNNING = EnumSet.of(CONNECTING, STREAMING, WAITING);

  /** Whether {@code next} may follow this state. */
  boolean canGo(IngestState next) {
    return switch (next) {
      case STARTING -> false;
      case CONNECTING -> this == STARTING || this == WAITING || this == WRITE_BLOCKED || this == FILE_MOVED;
      case STREAMING -> this == CONNECTING;
      case WAITING -> this == CONNECTING || this == STREAMING;
      case WRITE_BLOCKED -> RUNNING.contains(this) || this == WRITE_BLOCKED || this == FILE_MOVED;
      case FILE_MOVED -> RUNNING.contains(this);
      case STOPPED -> true;
    };
  }

  /** As the status detail starts. */
  String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
