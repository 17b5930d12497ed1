package wikirecent.testsupport;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** The test clients' WebSockets keep a frame the server sends the moment the upgrade is done. */
@ExtendWith(VertxExtension.class)
class WebSocketsTest {

  @Test
  void theFirstFrameReachesHandlersSetSlowly(Vertx vertx) throws Exception {
    HttpServer server = Wait.on(vertx.createHttpServer().webSocketHandler(ws -> ws.writeTextMessage("first")).listen(0));
    for (int i = 0; i < 5; i++) {
      List<String> got = new CopyOnWriteArrayList<>();
      WebSockets.open(vertx, vertx.createWebSocketClient(), server.actualPort(), "/", ws -> {
        sleep(100); // a test thread preempted on a busy machine: the frame has arrived by now
        ws.textMessageHandler(got::add);
      });
      Wait.until("the first frame", () -> got.equals(List.of("first")));
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
