package wikirecent.tail;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/** Placeholder until the tail part lands. */
public class TailVerticle extends VerticleBase {
  @Override
  public Future<?> start() {
    return Future.failedFuture("TailVerticle is not built yet");
  }
}
