package wikirecent.web;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A WebSocket client over a bare TCP socket that completes the handshake, maybe sends a text
 * message, and then never reads again: the slowest possible reader. Its receive buffer is made
 * small so the kernel soaks up little and the server's own queue has to take the rest.
 */
final class StuckClient implements AutoCloseable {

  private final Socket socket;
  private final String response;

  private StuckClient(Socket socket, String response) {
    this.socket = socket;
    this.response = response;
  }

  static StuckClient open(int port, String path) throws IOException {
    Socket s = new Socket();
    s.setReceiveBufferSize(4096);
    s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
    s.setSoTimeout(10_000);
    OutputStream out = s.getOutputStream();
    out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n"
      + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
      + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
    // Read the response headers byte by byte, so nothing after them is consumed.
    InputStream in = s.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed during the handshake: " + head);
      }
      head.write(b);
    }
    String response = head.toString(StandardCharsets.US_ASCII);
    if (!response.startsWith("HTTP/1.1 101")) {
      throw new IOException("handshake refused: " + response);
    }
    return new StuckClient(s, response);
  }

  /** Sends one masked text frame, as a client must. */
  void sendText(String text) throws IOException {
    socket.getOutputStream().write(RawHttp.maskedText(text));
    socket.getOutputStream().flush();
  }

  int localPort() {
    return socket.getLocalPort();
  }

  String handshakeResponse() {
    return response;
  }

  /** Reads (and discards) until the server closes the connection; false if it stays open past the socket timeout. */
  boolean drainUntilClosed() {
    byte[] buf = new byte[64 * 1024];
    try {
      socket.setSoTimeout(30_000);
      InputStream in = socket.getInputStream();
      while (in.read(buf) >= 0) {
        // discard
      }
      return true;
    } catch (java.net.SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset by the server: closed too
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
