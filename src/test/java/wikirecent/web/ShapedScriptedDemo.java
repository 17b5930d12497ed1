package wikirecent.web;

import io.vertx.core.Vertx;
import wikirecent.testsupport.Wait;

import java.util.Random;

/**
 * Not a test: the dashboard with shaped views, served by the bridge stand-in from the scripted
 * source making ~30 edits/s (event time = now) across a few wikis, bots among them, for looking
 * at it by hand until the web part serves shaped views (the source recomputes every view from
 * scratch on each step, so it slows down after some minutes):
 * {@code mvn -o -q test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt}, then
 * {@code java -cp target/classes:target/test-classes:$(cat target/cp.txt) wikirecent.web.ShapedScriptedDemo}.
 */
public final class ShapedScriptedDemo {

  public static void main(String[] args) {
    Vertx vertx = Vertx.vertx();
    ShapedScriptedSource source = new ShapedScriptedSource();
    Wait.on(vertx.deployVerticle(source));
    ShapedBridgeNode node = Wait.on(ShapedBridgeNode.start(vertx));
    String[] wikis = {"enwiki", "enwiki", "enwiki", "dewiki", "dewiki", "commonswiki", "wikidatawiki", "frwiki", "eswiki", null};
    Random random = new Random();
    vertx.setPeriodic(100, t -> {
      int n = random.nextInt(7);
      ShapedScriptedSource.Edit[] edits = new ShapedScriptedSource.Edit[n];
      long now = System.currentTimeMillis() / 1000;
      for (int i = 0; i < n; i++) {
        boolean bot = random.nextInt(5) == 0;
        int u = (int) Math.min(40, Math.abs(random.nextGaussian()) * 10);
        String user = u == 7 ? "<img src=x onerror=alert(1)>" : u == 9 ? null : (bot ? "Bot" : "Editor ") + u;
        edits[i] = new ShapedScriptedSource.Edit(user, wikis[random.nextInt(wikis.length)], bot, now);
      }
      source.edit(edits);
    });
    System.out.println("Dashboard with shaped views on " + node.url("/"));
  }
}
