package wikirecent.web;

import io.vertx.core.buffer.Buffer;

import java.util.ArrayList;
import java.util.List;

/**
 * Several view messages, of different instances, that go to a SockJS session in one {@code a[...]} frame: what one
 * visit of the fan-out's walk sends a session following several views (the dashboard follows five). Made only to be
 * sent, so framed at once, and shared by all the sessions lacking the same messages, like {@link Encoded}.
 */
final class Bundle {

  /** In the order they are delivered; each of a different instance. */
  final List<Encoded> messages;
  /** The {@code a[...]} frame of SockJS's WebSocket transport holding each message's bridge envelope. */
  final String sockJsText;
  /** Its UTF-8 bytes: what the queue bound counts. */
  final Buffer sockJsFrame;
  /** The instance of its first snapshot, or null if it holds none: the frame counts as that snapshot (see {@link Client#snapshotBytes}). */
  final String snapshotKey;

  Bundle(List<Encoded> messages) {
    this.messages = List.copyOf(messages);
    List<String> envelopes = new ArrayList<>(messages.size());
    for (Encoded m : messages) {
      envelopes.add(m.envelopeText());
    }
    sockJsText = SockJsWebSocket.messagesFrame(envelopes);
    sockJsFrame = Buffer.buffer(sockJsText);
    snapshotKey = messages.stream().filter(m -> m.snapshot).map(m -> m.key).findFirst().orElse(null);
  }
}
