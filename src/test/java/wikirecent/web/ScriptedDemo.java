package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import wikirecent.config.Config;
import wikirecent.testsupport.Wait;

import java.util.Random;

/**
 * Not a test: the web part with the scripted source making ~30 edits/s (event time = now) from a
 * skewed set of users across a few wikis, bots among them, for looking at the dashboard and its
 * wiki picker, bots toggle and window by hand without the rest of the pipeline (the source
 * recomputes its shaped views from scratch on each step, so those slow down after some minutes):
 * {@code mvn -o -q test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt}, then
 * {@code java -cp target/classes:target/test-classes:$(cat target/cp.txt) wikirecent.web.ScriptedDemo 8875}.
 */
public final class ScriptedDemo {

  public static void main(String[] args) {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 8875;
    Vertx vertx = Vertx.vertx();
    ScriptedViewSource source = new ScriptedViewSource(true);
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.startOnPort(vertx, port, new JsonObject().put(Config.WEB_STUCK_CLIENT_MILLIS, 60_000)));
    String[] users = new String[60];
    for (int i = 0; i < users.length; i++) {
      users[i] = i % 17 == 5 ? null : (i % 7 == 3 ? "Bot" + i : "Editor " + (char) ('A' + i % 26) + i);
    }
    users[7] = "<img src=x onerror=alert(1)>";
    users[11] = "Zoë 🌍";
    String[] wikis = {"enwiki", "enwiki", "enwiki", "dewiki", "dewiki", "commonswiki", "wikidatawiki", "frwiki", "eswiki", null};
    Random random = new Random();
    vertx.setPeriodic(100, t -> {
      int n = random.nextInt(7);
      ScriptedViewSource.Edit[] edits = new ScriptedViewSource.Edit[n];
      long now = System.currentTimeMillis() / 1000;
      for (int i = 0; i < n; i++) {
        // skewed: low indexes edit far more often, so the top 10 moves but slowly
        int u = (int) Math.min(users.length - 1, Math.abs(random.nextGaussian()) * 14);
        edits[i] = new ScriptedViewSource.Edit(users[u], wikis[random.nextInt(wikis.length)], u % 7 == 3, now);
      }
      if (n > 0) {
        source.edit(edits);
      }
    });
    System.out.println("Dashboard with a scripted feed on " + web.url("/"));
  }
}
