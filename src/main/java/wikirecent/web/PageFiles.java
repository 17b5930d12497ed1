package wikirecent.web;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.MimeMapping;
import io.vertx.ext.web.RoutingContext;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The dashboard's files: from the jar (the classpath) unless a directory is configured, and
 * then only files really inside it. Unlike Vert.x's StaticHandler, whatever {@code webroot}
 * lies in the working directory is never looked at, and a symbolic link that leads out of the
 * configured directory is not followed (404).
 * <p>
 * A text file goes gzipped to a client that takes gzip: a jar's file is compressed once, when it is
 * first asked for, at the best level (the jar does not change while it runs), and its ETag differs
 * from the plain file's, as a different representation's must.
 */
final class PageFiles {

  /** One path segment: no leading dot (no {@code ..}, no hidden files), no separators, nothing exotic. */
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_~@+-][A-Za-z0-9._~@+-]*");

  private final Vertx vertx;
  private final String mount;
  private final String classpathPrefix;
  private final Path directory;
  private final long maxAgeSeconds;
  /** Files found in the jar, read (and gzipped) once: the jar does not change while it runs. */
  private final Map<String, PageFile> cache = new ConcurrentHashMap<>();

  private PageFiles(Vertx vertx, String mount, String classpathPrefix, Path directory, long maxAgeSeconds) {
    this.vertx = vertx;
    this.mount = mount;
    this.classpathPrefix = classpathPrefix;
    this.directory = directory;
    this.maxAgeSeconds = maxAgeSeconds;
  }

  /** Serves {@code <mount><path>} from the classpath resource {@code <prefix>/<path>}. */
  static PageFiles fromClasspath(Vertx vertx, String mount, String prefix, long maxAgeSeconds) {
    return new PageFiles(vertx, mount, prefix, null, maxAgeSeconds);
  }

  /** Serves {@code <mount><path>} from {@code directory}, which must exist. */
  static PageFiles fromDirectory(Vertx vertx, String mount, Path directory, long maxAgeSeconds) {
    Path real;
    try {
      real = directory.toRealPath();
    } catch (IOException e) {
      throw new IllegalArgumentException("web.root " + directory + " cannot be used: " + e, e);
    }
    if (!Files.isDirectory(real)) {
      throw new IllegalArgumentException("web.root " + directory + " is not a directory");
    }
    return new PageFiles(vertx, mount, null, real, maxAgeSeconds);
  }

  /** Where the files come from, for the start-up log. */
  String source() {
    return directory != null ? "directory " + directory : "the jar (" + classpathPrefix + ")";
  }

  void handle(RoutingContext rc) {
    HttpMethod method = rc.request().method();
    String relative = relative(rc.normalizedPath());
    if (relative == null || method != HttpMethod.GET && method != HttpMethod.HEAD) {
      rc.next();
      return;
    }
    PageFile cached = directory == null ? cache.get(relative) : null;
    Future<PageFile> file = cached != null ? Future.succeededFuture(cached)
      : directory != null ? vertx.executeBlocking(() -> readFromDirectory(relative), false)
      : vertx.executeBlocking(() -> readFromClasspath(relative), false);
    file.onComplete(ar -> {
      if (ar.failed()) {
        rc.fail(500, ar.cause());
      } else if (ar.result() == null) {
        rc.next();
      } else {
        send(rc, relative, ar.result(), method == HttpMethod.HEAD);
      }
    });
  }

  /** The file path under the mount point, or null if it is not one this handler may serve. */
  private String relative(String path) {
    if (!path.startsWith(mount)) {
      return null;
    }
    String rest = path.substring(mount.length());
    if (rest.isEmpty() || rest.endsWith("/")) {
      rest += "index.html";
    }
    for (String segment : rest.split("/", -1)) {
      if (!SEGMENT.matcher(segment).matches()) {
        return null;
      }
    }
    return rest;
  }

  private PageFile readFromDirectory(String relative) throws IOException {
    Path real;
    try {
      real = directory.resolve(relative).toRealPath();
    } catch (NoSuchFileException e) {
      return null;
    }
    // toRealPath resolved every link: the result must still be inside the directory.
    if (!real.startsWith(directory) || !Files.isRegularFile(real)) {
      return null;
    }
    // Read again each time: someone editing the page wants the change on reload.
    return PageFile.of(Buffer.buffer(Files.readAllBytes(real)), contentType(relative));
  }

  private PageFile readFromClasspath(String relative) throws IOException {
    PageFile cached = cache.get(relative);
    if (cached != null) {
      return cached;
    }
    URL url = PageFiles.class.getClassLoader().getResource(classpathPrefix + "/" + relative);
    if (url == null || !isFile(url)) {
      return null;
    }
    try (InputStream in = url.openStream()) {
      PageFile file = PageFile.of(Buffer.buffer(in.readAllBytes()), contentType(relative));
      cache.put(relative, file);
      return file;
    }
  }

  /** A classpath resource may be a directory (in a jar, or target/classes in a build). */
  private static boolean isFile(URL url) {
    try {
      if (url.getProtocol().equals("file")) {
        return Files.isRegularFile(Path.of(url.toURI()));
      }
      URLConnection connection = url.openConnection();
      if (connection instanceof JarURLConnection jar) {
        return jar.getJarEntry() != null && !jar.getJarEntry().isDirectory();
      }
      return true;
    } catch (IOException | URISyntaxException e) {
      return false;
    }
  }

  private void send(RoutingContext rc, String relative, PageFile file, boolean headOnly) {
    boolean gzip = file.gzipped() != null && Gzip.accepted(rc.request().headers());
    Buffer bytes = gzip ? file.gzipped() : file.plain();
    String etag = gzip ? file.gzippedEtag() : file.etag();
    HttpServerResponse response = rc.response()
      .putHeader(HttpHeaders.CACHE_CONTROL, "public, max-age=" + maxAgeSeconds)
      .putHeader(HttpHeaders.ETAG, etag);
    if (file.gzipped() != null) {
      response.putHeader(HttpHeaders.VARY, "Accept-Encoding");
    }
    if (matches(rc.request().getHeader(HttpHeaders.IF_NONE_MATCH), etag)) {
      response.setStatusCode(304).end();
      return;
    }
    response.putHeader(HttpHeaders.CONTENT_TYPE, contentType(relative));
    if (gzip) {
      response.putHeader(HttpHeaders.CONTENT_ENCODING, "gzip");
    }
    if (headOnly) {
      response.putHeader(HttpHeaders.CONTENT_LENGTH, String.valueOf(bytes.length())).end();
    } else {
      response.end(bytes);
    }
  }

  /** {@code If-None-Match}: {@code *}, or a list of tags, any of which may be weak ({@code W/}); compared weakly. */
  private static boolean matches(String ifNoneMatch, String etag) {
    if (ifNoneMatch == null) {
      return false;
    }
    for (String tag : ifNoneMatch.split(",")) {
      String t = tag.trim();
      if (t.startsWith("W/")) {
        t = t.substring(2);
      }
      if (t.equals("*") || t.equals(etag)) {
        return true;
      }
    }
    return false;
  }

  private static String contentType(String name) {
    String type = MimeMapping.mimeTypeForFilename(name);
    if (type == null) {
      return "application/octet-stream";
    }
    boolean text = type.startsWith("text/") || type.equals("application/javascript") || type.equals("application/json");
    return text ? type + ";charset=UTF-8" : type;
  }
}
