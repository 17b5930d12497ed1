package wikirecent.ingest;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/** Placeholder until the ingest part lands. */
public class IngestVerticle extends VerticleBase {
  @Override
  public Future<?> start() {
    return Future.failedFuture("IngestVerticle is not built yet");
  }
}
