package wikirecent.ingest;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import wikirecent.status.Metrics;
import wikirecent.bus.Addresses;
import wikirecent.config.Config;
import wikirecent.records.AppendFile;
import wikirecent.records.ChannelAppendFile;

/**
 * The ingest part: streams the recent-change SSE feed into {@code <data.dir>/recentchanges}, one record per
 * event, exactly once. {@link EventPipeline} turns events into records and writes them; {@link IngestLoop} runs
 * the connections (resume, back-off, a full disk, a moved file); this wires them and answers status requests.
 */
public class IngestVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(IngestVerticle.class);

  private final AppendFile.Opener opener;
  private final HttpClientOptions clientOptions;
  private IngestMeters counters;
  private IngestSettings settings;
  private WorkerExecutor writerThread;
  private EventPipeline pipeline;
  private HttpClient client;
  private IngestLoop loop;

  public IngestVerticle() {
    this(ChannelAppendFile::open, new HttpClientOptions());
  }

  /** For tests: a seam around the data file, and client options (e.g. to trust a test certificate). */
  IngestVerticle(AppendFile.Opener opener, HttpClientOptions clientOptions) {
    this.opener = opener;
    this.clientOptions = clientOptions;
  }

  @Override
  public Future<?> start() {
    try {
      settings = IngestSettings.of(Config.of(config()));
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    counters = new IngestMeters(Metrics.registry(vertx));
    writerThread = vertx.createSharedWorkerExecutor("wikirecent-ingest-writer-" + deploymentID(), 1);
    pipeline = new EventPipeline(vertx, writerThread, opener, settings.pipeline(), counters);
    // No read-idle timeout on the connection: it would fire while the response is paused for back-pressure.
    // StreamSession watches for silence itself, only while it reads.
    client = vertx.httpClientBuilder().with(new HttpClientOptions(clientOptions)).withRedirectHandler(FeedAuth::redirect).build();
    loop = new IngestLoop(vertx, settings, pipeline, client, writerThread, counters);
    counters.bind(loop::live, pipeline::backlogBytes);
    return pipeline.open()
      .compose(opened -> vertx.eventBus().<JsonObject>consumer(Addresses.STATUS_INGEST, m -> m.reply(loop.status().toJson()))
        .completion().map(opened))
      .onSuccess(opened -> {
        pipeline.watch();
        loop.start(opened);
      })
      // No stop() after a failed start: the file, if it opened, is closed before the start fails, so its lock does
      // not outlive it. (Its meters stay: they are those of an ingest this start may have been refused beside.)
      .recover(e -> pipeline.close(false).eventually(() -> client.close()).eventually(() -> writerThread.close())
        .transform(ar -> Future.failedFuture(e)));
  }

  @Override
  public Future<?> stop() {
    if (counters != null) {
      counters.close();
    }
    if (loop != null) {
      loop.stop();
    }
    if (pipeline == null) {
      return Future.succeededFuture();
    }
    return pipeline.close(settings.pipeline().fsyncMillis() >= 0) // -1: the OS decides, even at a clean stop
      .onSuccess(v -> log.info("Stopped; {} ends with id {}", settings.path(), Ids.shown(pipeline.lastWrittenId())))
      .eventually(() -> client.close())
      .eventually(() -> writerThread.close());
  }
}
