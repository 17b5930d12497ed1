package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import wikirecent.testsupport.Wait;

/** Plain HTTP GETs against a web node on loopback. */
public final class Http {

  private Http() {
  }

  public static HttpResponse<Buffer> get(Vertx vertx, int port, String path) {
    WebClient client = WebClient.create(vertx);
    try {
      return Wait.on(client.get(port, "localhost", path).send());
    } finally {
      client.close();
    }
  }
}
