package wikirecent.replay;

import java.nio.file.Path;

/** What the replay server serves and how. Built by the command line or by tests. */
public final class ReplayOptions {

  public static final int DEFAULT_PORT = 8876;
  public static final String DEFAULT_HOST = "127.0.0.1";

  public static final String USAGE = String.join("\n",
    "Usage: java -jar wikirecent.jar replay [options] [FILE]",
    "",
    "Serves a recorded file as a Wikimedia-like SSE feed at http://HOST:PORT/v2/stream/recentchange,",
    "so wikirecent runs with no internet (WIKIRECENT_STREAM_URL=<that url>).",
    "FILE holds one JSON event per line, or SSE text like data/recentchanges; default: the bundled sample.",
    "",
    "  --file FILE          the recording (same as the FILE argument)",
    "  --port N             port to listen on (default " + DEFAULT_PORT + "; 0 picks a free one)",
    "  --host H             address to bind (default " + DEFAULT_HOST + ")",
    "  --rate N             events per second per connection (default 0: as fast as the client reads)",
    "  --cut-every N        close the connection after every N events (as Wikimedia does every 15 minutes)",
    "  --cut-mid-frame      with --cut-every: send half of the next event, then drop the connection",
    "  --loop               after the last event start again, with fresh deterministic meta.ids per round",
    "  --crlf               end lines with CRLF instead of LF",
    "  --heartbeat-seconds N  send a ':' comment when idle this often (default 15; 0: never)",
    "  --help               print this and exit",
    "",
    "Every event goes out as 'event: message', an id like [{\"topic\":\"replay\",\"partition\":0,\"offset\":N}]",
    "and its JSON on a data: line. A client's Last-Event-ID resumes after that offset; without one, ?since=T",
    "(ISO-8601 or epoch milliseconds) starts at the first event whose meta.dt is at or after T, and a T after",
    "every recorded event starts at the beginning (the replay's live edge).");

  private Path file;
  private String host = DEFAULT_HOST;
  private int port = DEFAULT_PORT;
  private double rate;
  private long cutEvery;
  private boolean cutMidFrame;
  private boolean loop;
  private boolean crlf;
  private long heartbeatSeconds = 15;
  private boolean help;
  private WriteListener writeListener;

  /** Told, on the server's event loop, just before a connection writes events {@code [first, end)} to its response. */
  @FunctionalInterface
  public interface WriteListener {
    void writing(long first, long end);
  }

  /** Parses command-line arguments; IllegalArgumentException with a readable message on a bad one. */
  public static ReplayOptions parse(String[] args) {
    ReplayOptions o = new ReplayOptions();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "--help", "-h" -> o.help = true;
        case "--loop" -> o.loop = true;
        case "--crlf" -> o.crlf = true;
        case "--cut-mid-frame" -> o.cutMidFrame = true;
        case "--file" -> o.file = Path.of(value(args, ++i, arg));
        case "--host" -> o.host = value(args, ++i, arg);
        case "--port" -> o.port = (int) number(args, ++i, arg, 65535);
        case "--rate" -> o.rate = decimal(value(args, ++i, arg), arg);
        case "--cut-every" -> o.cutEvery = number(args, ++i, arg, Long.MAX_VALUE);
        case "--heartbeat-seconds" -> o.heartbeatSeconds = number(args, ++i, arg, 86_400);
        default -> {
          if (arg.startsWith("-") || o.file != null) {
            throw new IllegalArgumentException("unknown argument: " + arg);
          }
          o.file = Path.of(arg);
        }
      }
    }
    if (o.cutMidFrame && o.cutEvery == 0) {
      throw new IllegalArgumentException("--cut-mid-frame needs --cut-every N");
    }
    return o;
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      throw new IllegalArgumentException(option + " needs a value");
    }
    return args[i];
  }

  private static long number(String[] args, int i, String option, long max) {
    String v = value(args, i, option);
    try {
      long n = Long.parseLong(v);
      if (n < 0 || n > max) {
        throw new IllegalArgumentException(option + " must be between 0 and " + max + ", not " + v);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " needs a whole number, not " + v);
    }
  }

  private static double decimal(String v, String option) {
    try {
      double d = Double.parseDouble(v);
      if (!(d >= 0) || Double.isInfinite(d)) {
        throw new IllegalArgumentException(option + " must be 0 or more, not " + v);
      }
      return d;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + " needs a number, not " + v);
    }
  }

  /** The recording, or null for the bundled sample. */
  public Path file() {
    return file;
  }

  public ReplayOptions file(Path file) {
    this.file = file;
    return this;
  }

  public String host() {
    return host;
  }

  public ReplayOptions host(String host) {
    this.host = host;
    return this;
  }

  public int port() {
    return port;
  }

  public ReplayOptions port(int port) {
    this.port = port;
    return this;
  }

  /** Events per second per connection; 0 is as fast as the client reads. */
  public double rate() {
    return rate;
  }

  public ReplayOptions rate(double rate) {
    this.rate = rate;
    return this;
  }

  /** Close each connection after this many events (0: never). */
  public long cutEvery() {
    return cutEvery;
  }

  public ReplayOptions cutEvery(long cutEvery) {
    this.cutEvery = cutEvery;
    return this;
  }

  /** Cut in the middle of the next frame instead of ending the response cleanly. */
  public boolean cutMidFrame() {
    return cutMidFrame;
  }

  public ReplayOptions cutMidFrame(boolean cutMidFrame) {
    this.cutMidFrame = cutMidFrame;
    return this;
  }

  public boolean loop() {
    return loop;
  }

  public ReplayOptions loop(boolean loop) {
    this.loop = loop;
    return this;
  }

  public boolean crlf() {
    return crlf;
  }

  public ReplayOptions crlf(boolean crlf) {
    this.crlf = crlf;
    return this;
  }

  public long heartbeatSeconds() {
    return heartbeatSeconds;
  }

  public ReplayOptions heartbeatSeconds(long heartbeatSeconds) {
    this.heartbeatSeconds = heartbeatSeconds;
    return this;
  }

  public boolean help() {
    return help;
  }

  /** The write listener, or null. Not a command-line option: benchmarks use it to time each event's send. */
  public WriteListener writeListener() {
    return writeListener;
  }

  public ReplayOptions writeListener(WriteListener writeListener) {
    this.writeListener = writeListener;
    return this;
  }
}
