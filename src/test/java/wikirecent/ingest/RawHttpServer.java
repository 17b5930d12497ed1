package wikirecent.ingest;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import wikirecent.testsupport.Wait;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An HTTP server on a bare TCP socket, to see the very bytes a client sends: it keeps each request's head (up to
 * the empty line) as bytes, then writes the scripted answer for that request number (the last one repeats) and
 * closes the connection or holds it.
 */
final class RawHttpServer {

  /** What to write back, and whether to close the connection after it. */
  record Answer(byte[] bytes, boolean close) {
  }

  /** An event-stream response whose body ends when the connection closes. */
  static Answer eventStream(String body, boolean close) {
    String head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n";
    return new Answer((head + body).getBytes(StandardCharsets.UTF_8), close);
  }

  private final List<Answer> answers;
  private final List<byte[]> heads = new CopyOnWriteArrayList<>();
  private final List<Long> headNanos = new CopyOnWriteArrayList<>();
  private NetServer server;

  private RawHttpServer(List<Answer> answers) {
    this.answers = answers;
  }

  static RawHttpServer start(Vertx vertx, Answer... answers) {
    RawHttpServer s = new RawHttpServer(List.of(answers));
    s.server = vertx.createNetServer().connectHandler(s::serve);
    Wait.on(s.server.listen(0, "127.0.0.1"));
    return s;
  }

  private void serve(NetSocket socket) {
    Buffer head = Buffer.buffer();
    boolean[] answered = {false};
    socket.handler(b -> {
      if (answered[0]) {
        return;
      }
      head.appendBuffer(b);
      int end = indexOf(head.getBytes(), "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      if (end >= 0) {
        answered[0] = true;
        int n = heads.size();
        headNanos.add(System.nanoTime());
        heads.add(Arrays.copyOf(head.getBytes(), end + 4));
        Answer a = answers.get(Math.min(n, answers.size() - 1));
        socket.write(Buffer.buffer(a.bytes()));
        if (a.close()) {
          socket.end();
        }
      }
    });
  }

  /** When each head of {@link #heads} was read (System.nanoTime). */
  List<Long> headNanos() {
    return headNanos;
  }

  /** The heads of the requests so far, as sent. */
  List<byte[]> heads() {
    return heads;
  }

  String url() {
    return "http://127.0.0.1:" + server.actualPort() + "/v2/stream/recentchange";
  }

  static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
