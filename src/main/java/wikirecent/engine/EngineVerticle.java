package wikirecent.engine;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/** Placeholder until the engine part lands. */
public class EngineVerticle extends VerticleBase {
  @Override
  public Future<?> start() {
    return Future.failedFuture("EngineVerticle is not built yet");
  }
}
