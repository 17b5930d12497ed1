package wikirecent.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * Free TCP ports on loopback, for the few tests that must name a port before anything listens on it (a
 * server that comes up later, cluster members that list each other). Anything that can listen on port 0
 * and report the port it got should do that instead.
 */
public final class Ports {

  private Ports() {
  }

  /** A port nothing listens on right now. */
  public static int freePort() {
    return freePorts(1)[0];
  }

  /** {@code n} distinct free ports (all held open together while choosing, so they differ). */
  public static int[] freePorts(int n) {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      int[] ports = new int[n];
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        sockets.add(s);
        ports[i] = s.getLocalPort();
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException("no free port on loopback", e);
    } finally {
      for (ServerSocket s : sockets) {
        try {
          s.close();
        } catch (IOException e) {
          // closing a listening socket we own: nothing to do
        }
      }
    }
  }
}
