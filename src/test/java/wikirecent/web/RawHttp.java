package wikirecent.web;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * HTTP/1.1 over a bare socket, byte for byte as the test writes it: for requests no well-behaved
 * client would send (broken heads, half a head, upgrades without a key) and for connections held
 * open on purpose.
 */
final class RawHttp implements AutoCloseable {

  /** A response: status code, headers (names lower-cased), body. */
  record Response(int status, Map<String, String> headers, String body) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  private final Socket socket;

  private RawHttp(Socket socket) {
    this.socket = socket;
  }

  static RawHttp connect(int port) throws IOException {
    return connect(port, 0);
  }

  /** With a receive buffer of {@code receiveBytes} (0: the system's), so a server writing more must wait for reads. */
  static RawHttp connect(int port, int receiveBytes) throws IOException {
    Socket s = new Socket();
    if (receiveBytes > 0) {
      s.setReceiveBufferSize(receiveBytes);
    }
    s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
    s.setSoTimeout(30_000);
    return new RawHttp(s);
  }

  /** One request on a fresh connection, closed afterwards. */
  static Response exchange(int port, String request) throws IOException {
    try (RawHttp http = connect(port)) {
      http.send(request);
      return http.readResponse();
    }
  }

  void send(String text) throws IOException {
    socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
    socket.getOutputStream().flush();
  }

  /** Sends one masked text frame, as a client must. */
  void sendText(String text) throws IOException {
    socket.getOutputStream().write(maskedText(text));
    socket.getOutputStream().flush();
  }

  /** A client's text frame (masked) holding {@code text}, shorter than 64 KiB. */
  static byte[] maskedText(String text) {
    byte[] payload = text.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    frame.write(0x81);
    if (payload.length < 126) {
      frame.write(0x80 | payload.length);
    } else {
      frame.write(0x80 | 126);
      frame.write(payload.length >> 8);
      frame.write(payload.length & 0xff);
    }
    byte[] mask = new byte[4];
    ThreadLocalRandom.current().nextBytes(mask);
    frame.writeBytes(mask);
    for (int i = 0; i < payload.length; i++) {
      frame.write(payload[i] ^ mask[i % 4]);
    }
    return frame.toByteArray();
  }

  /** Reads one response: the head, then a Content-Length body (101 and 304 have none). */
  Response readResponse() throws IOException {
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed before a complete response head: " + head.toString(StandardCharsets.ISO_8859_1));
      }
      head.write(b);
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.merge(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim(), (a, b) -> a + ", " + b);
      }
    }
    String length = headers.get("content-length");
    byte[] body = status == 101 || length == null ? new byte[0] : in.readNBytes(Integer.parseInt(length));
    return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
  }

  /** A WebSocket frame from the server: its first byte (FIN, RSV1-3, opcode) and its payload. */
  record Frame(int first, byte[] payload) {
    String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }
  }

  /** Reads one unmasked WebSocket frame, as a server sends them. */
  Frame readFrame() throws IOException {
    InputStream in = socket.getInputStream();
    int first = in.read();
    int second = in.read();
    if (first < 0 || second < 0) {
      throw new IOException("connection closed before a frame");
    }
    long length = second & 0x7f;
    if (length >= 126) {
      byte[] ext = in.readNBytes(length == 126 ? 2 : 8);
      length = 0;
      for (byte b : ext) {
        length = length << 8 | (b & 0xff);
      }
    }
    byte[] payload = in.readNBytes((int) length);
    if (payload.length != length) {
      throw new IOException("connection closed inside a frame of " + length + " bytes");
    }
    return new Frame(first, payload);
  }

  /** True once the server closes (or resets) the connection within {@code timeoutMillis}; false if it stays open. Discards what it reads. */
  boolean closedByServer(int timeoutMillis) throws IOException {
    socket.setSoTimeout(timeoutMillis);
    try {
      byte[] buf = new byte[4096];
      while (socket.getInputStream().read(buf) >= 0) {
        // discard
      }
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
