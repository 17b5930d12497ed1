package wikirecent.ingest;

import wikirecent.config.Config;
import wikirecent.config.Redact;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;

/**
 * Ingest's configuration, read and checked once.
 *
 * @param url       the feed, as requested (credentials and all)
 * @param shownUrl  the feed as logs and the status show it ({@link Redact})
 */
record IngestSettings(String url, String shownUrl, String userAgent, long idleTimeoutMillis, int maxEventBytes,
                      int maxResumeIdBytes, long backfillMinutes, long minFreeBytes, long backoffMillis,
                      long backoffMaxMillis, long throttleBackoffMillis, EventPipeline.Settings pipeline) {

  /** IllegalArgumentException, its message safe to show, if a value cannot work. */
  static IngestSettings of(Config config) {
    String url = config.string(Config.STREAM_URL);
    String shown = Redact.url(url);
    if (!isHttpUrl(url)) {
      throw new IllegalArgumentException("stream.url must be an http:// or https:// URL, not '" + shown + "'");
    }
    int maxEventBytes = config.integer(Config.INGEST_MAX_EVENT_BYTES);
    long backfill = config.longValue(Config.STREAM_BACKFILL_MINUTES);
    int maxIdBytes = config.integer(Config.STREAM_MAX_RESUME_ID_BYTES);
    Path path = config.recentChangesFile();
    return new IngestSettings(url, shown,
      config.string(Config.STREAM_USER_AGENT),
      config.longValue(Config.STREAM_IDLE_TIMEOUT_SECONDS) * 1000,
      maxEventBytes, maxIdBytes, backfill,
      config.longValue(Config.INGEST_MIN_FREE_MEGABYTES) << 20,
      config.longValue(Config.INGEST_BACKOFF_MILLIS),
      config.longValue(Config.INGEST_BACKOFF_MAX_MILLIS),
      config.longValue(Config.INGEST_THROTTLE_BACKOFF_MILLIS),
      new EventPipeline.Settings(path, config.integer(Config.INGEST_DEDUPE_WINDOW), maxEventBytes, maxIdBytes,
        config.longValue(Config.INGEST_FSYNC_MILLIS), config.longValue(Config.INGEST_MAX_QUEUED_BYTES)));
  }

  Path path() {
    return pipeline.path();
  }

  private static boolean isHttpUrl(String url) {
    try {
      URI uri = new URI(url);
      return ("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme())) && uri.getHost() != null
        && uri.getPort() <= 65_535; // the URI takes any number, the client none past it (and ingest never got going)
    } catch (URISyntaxException e) {
      return false;
    }
  }
}
