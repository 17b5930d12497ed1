package wikirecent.web;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.SocketAddress;

/** A client with no socket for the fan-out's unit tests: each test says only what its writes do. */
abstract class TestClient extends Client {

  TestClient() {
    super(Transport.WEBSOCKET);
  }

  @Override
  Buffer frame(Encoded message) {
    return message.text();
  }

  @Override
  boolean transportFull() {
    return false;
  }

  @Override
  SocketAddress remoteAddress() {
    return SocketAddress.inetSocketAddress(1, "127.0.0.1");
  }

  @Override
  void close() {
  }

  @Override
  void ended(FanOut fanOut, String key, OpenFailure why) {
  }
}
