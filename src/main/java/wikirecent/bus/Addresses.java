package wikirecent.bus;

/** Every event-bus address, declared once. Bodies are plain JSON so they cross cluster nodes as they are. */
public final class Addresses {

  private static final String VIEWS = "views.";

  /**
   * Published batches (and reset snapshots) of one view instance: {@link ViewMessage}. {@code key} is a view
   * name ({@code top10}) or a canonical key ({@code top10?bot=false&window=1h}, see {@link ViewParams}).
   */
  public static String view(String key) {
    return VIEWS + key;
  }

  /** {@code views.<canonical key>}. */
  public static String view(ViewParams params) {
    return VIEWS + params;
  }

  /**
   * Request/reply: a snapshot of the view ({@link ViewMessage} with {@code snapshot: true}). The body is null
   * for the default set or the params object ({@link ViewParams#fromJson}); the source opens the instance if it
   * is not live. Failure codes: 400 bad params, 429 too many live instances, 501 not available from this
   * source, 503 catching up (retry), 500 opening it failed (web nodes treat it as 503).
   */
  public static String snapshot(String view) {
    return VIEWS + view + ".snapshot";
  }

  /**
   * Request/reply, web node to view source, every {@code views.keepAliveMillis}: {@code {"keys":[..]}}, the
   * canonical keys of the parameterised instances the node holds; reply {@code {"unknown":[..]}}, those the
   * source has no live instance of (re-request them). An instance nobody wanted for
   * {@code views.instanceIdleSeconds} is dropped.
   */
  public static final String VIEWS_WANTED = "views.wanted";

  /** Published by the view source with {@code {}} each time it goes live (start, file reset): every parameterised instance is gone. */
  public static final String VIEWS_STARTED = "views.started";

  /** Ingest → views, a hint only: the file grew (body: its new size). The file stays the truth. */
  public static final String FILE_APPENDED = "recentchanges.appended";

  /** Request/reply: a part's status, {@link IngestStatus} and {@link ViewsStatus} as JSON. */
  public static final String STATUS_INGEST = "status.ingest";
  public static final String STATUS_VIEWS = "status.views";

  private Addresses() {
  }
}
