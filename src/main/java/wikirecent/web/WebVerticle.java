package wikirecent.web;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/** Placeholder until the web part lands. */
public class WebVerticle extends VerticleBase {
  @Override
  public Future<?> start() {
    return Future.failedFuture("WebVerticle is not built yet");
  }
}
