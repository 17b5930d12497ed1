package wikirecent.web;

import io.vertx.core.buffer.Buffer;

import java.util.ArrayList;
import java.util.List;

/**
 * Several view messages, of different instances, that go to a SockJS session in one {@code a[...]} frame: what one
 * visit of the fan-out's walk sends a session following several views (the dashboard follows five). Built once for
 * all the sessions lacking the same messages, like {@link Encoded}.
 */
final class Bundle {

  /** In the order they are delivered; each of a different instance. */
  final List<Encoded> messages;
  private String sockJsText;
  private Buffer sockJs;

  Bundle(List<Encoded> messages) {
    this.messages = List.copyOf(messages);
  }

  /** The {@code a[...]} frame of SockJS's WebSocket transport holding each message's bridge envelope (UTF-8 bytes). */
  Buffer sockJsFrame() {
    if (sockJs == null) {
      sockJs = Buffer.buffer(sockJsText());
    }
    return sockJs;
  }

  String sockJsText() {
    if (sockJsText == null) {
      List<String> envelopes = new ArrayList<>(messages.size());
      for (Encoded m : messages) {
        envelopes.add(m.envelopeText());
      }
      sockJsText = SockJsWebSocket.messagesFrame(envelopes);
    }
    return sockJsText;
  }
}
