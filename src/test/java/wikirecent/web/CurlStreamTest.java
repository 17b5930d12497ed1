package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import wikirecent.testsupport.Tools;
import wikirecent.testsupport.Wait;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
/** The README's curl command (the original demo's) against the raw WebSocket stream. */
@ExtendWith(VertxExtension.class)
class CurlStreamTest {

  private static final String CURL = "/usr/bin/curl";

  @Test
  void theSeedsCurlCommandGetsTheSnapshotThenBatchesAsJsonFrames(Vertx vertx) throws Exception {
    Tools.require(Files.isExecutable(Path.of(CURL)), "this test needs " + CURL + " (apt-get install curl)");
    ScriptedViewSource source = new ScriptedViewSource();
    Wait.on(vertx.deployVerticle(source));
    WebNode web = Wait.on(WebNode.start(vertx, null));
    Wait.on(source.edit("Alice", "Alice", "Bob", null));
    Wait.until("the replica has the edits", () -> Http.get(vertx, web.port(), "/api/views/top10").bodyAsJsonObject()
      .getJsonArray("inserted").size() == 3);
    String snapshot = Http.get(vertx, web.port(), "/api/views/top10").bodyAsString();

    // Verbatim from README.md ("What you get"), with our ephemeral port.
    Process curl = new ProcessBuilder(CURL, "--no-buffer", "--output", "-",
      "-H", "Sec-WebSocket-Key: +", "-H", "Sec-WebSocket-Version: 13", "-H", "Connection: Upgrade", "-H", "Upgrade: websocket",
      "http://localhost:" + web.port() + "/api/stream/top10")
      .redirectError(ProcessBuilder.Redirect.DISCARD)
      .start();
    try {
      Output out = new Output(curl.getInputStream());
      Wait.until("curl prints the snapshot", () -> out.text().contains(snapshot));

      List<JsonObject> batches = Wait.on(source.edit("Carol", "Carol", "Carol"));
      String batch = batches.stream().filter(b -> b.getString("view").equals("top10")).findFirst().orElseThrow().encode();
      Wait.until("curl prints the next batch", Wait.LONG, () -> out.text().contains(batch), out::text);

      String text = out.text();
      assertThat(text.indexOf(snapshot)).isLessThan(text.indexOf(batch));
      assertThat(new JsonObject(batch).getJsonArray("inserted").encode()).isEqualTo("[[\"Carol\",3]]");
    } finally {
      curl.destroy();
      if (!curl.waitFor(10, TimeUnit.SECONDS)) {
        curl.destroyForcibly();
      }
    }
  }

  /** Collects a process's stdout on its own thread. */
  private static final class Output {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    Output(InputStream in) {
      Thread t = new Thread(() -> {
        byte[] buf = new byte[8192];
        try {
          for (int n; (n = in.read(buf)) > 0; ) {
            synchronized (bytes) {
              bytes.write(buf, 0, n);
            }
          }
        } catch (IOException ignored) {
          // the process was stopped
        }
      }, "curl-stdout");
      t.setDaemon(true);
      t.start();
    }

    String text() {
      synchronized (bytes) {
        return bytes.toString(StandardCharsets.UTF_8);
      }
    }
  }
}
