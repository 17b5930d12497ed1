package wikirecent.bus;

/** Every event-bus address, declared once. Bodies are plain JSON so they cross cluster nodes as they are. */
public final class Addresses {

  private static final String VIEWS = "views.";

  /** Published batches (and reset snapshots) of one view: {@link ViewMessage}. */
  public static String view(String view) {
    return VIEWS + view;
  }

  /** Request/reply: the view's current snapshot ({@link ViewMessage} with {@code snapshot: true}). */
  public static String snapshot(String view) {
    return VIEWS + view + ".snapshot";
  }

  /**
   * Request/reply, web → source, every {@code views.keepAliveMillis}: {@code {"keys":[canonical keys]}}, the
   * non-default instances a web node holds; the reply {@code {"unknown":[keys]}} names those the source has none of.
   */
  public static final String VIEWS_WANTED = "views.wanted";

  /** Published by a source going live (start, or after a file reset): {@code {}}. Web nodes re-request their instances. */
  public static final String VIEWS_STARTED = "views.started";

  /** Ingest → views, a hint only: the file grew (body: its new size). The file stays the truth. */
  public static final String FILE_APPENDED = "recentchanges.appended";

  /** Request/reply: a part's status, {@link IngestStatus} and {@link ViewsStatus} as JSON. */
  public static final String STATUS_INGEST = "status.ingest";
  public static final String STATUS_VIEWS = "status.views";

  private Addresses() {
  }
}
