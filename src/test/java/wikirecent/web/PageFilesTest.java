package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.config.Config;
import wikirecent.testsupport.Wait;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The page comes from the classpath unless {@code web.root} names a directory, and then only
 * files really inside that directory are served: a symbolic link that leads out is a 404. (That
 * the working directory's {@code webroot} is ignored needs another working directory: see
 * {@code PageFilesIT}.)
 */
@ExtendWith(VertxExtension.class)
class PageFilesTest {

  private static RawHttp.Response get(WebNode web, String path) throws Exception {
    return RawHttp.exchange(web.port(), "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  }

  @Test
  void byDefaultThePageIsTheOneOnTheClasspath(Vertx vertx) throws Exception {
    WebNode web = Wait.on(WebNode.start(vertx, null));
    String expected;
    try (InputStream in = getClass().getClassLoader().getResourceAsStream("webroot/index.html")) {
      expected = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    RawHttp.Response page = get(web, "/");
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.header("content-type")).startsWith("text/html");
    assertThat(page.header("content-security-policy")).isEqualTo(WebVerticle.CONTENT_SECURITY_POLICY);
    assertThat(page.body()).isEqualTo(expected);
    assertThat(get(web, "/index.html").body()).isEqualTo(expected);
    assertThat(get(web, "/app.js").header("content-type")).startsWith("text/javascript");
    RawHttp.Response sockjs = get(web, WebVerticle.SOCKJS_URL);
    assertThat(sockjs.status()).isEqualTo(200);
    assertThat(sockjs.body()).contains("SockJS");
    // Nothing but files: no directories, no hidden files, no way up.
    for (String path : new String[]{"/nope.html", "/webjars/", "/webjars/sockjs-client/1.6.1/dist", "/.hidden", "/%2e%2e/pom.xml",
      "/..%2fpom.xml", "/webroot/index.html", "/conf/config.json"}) {
      assertThat(get(web, path).status()).as(path).isEqualTo(404);
    }
    // An unchanged file is not sent again.
    String etag = page.header("etag");
    RawHttp.Response again = RawHttp.exchange(web.port(),
      "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nIf-None-Match: " + etag + "\r\n\r\n");
    assertThat(again.status()).isEqualTo(304);
  }

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** The JDK's client leaves a gzipped body as it came. */
  private static HttpResponse<byte[]> fetch(WebNode web, String method, String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + web.port() + path))
      .method(method, HttpRequest.BodyPublishers.noBody());
    if (headers.length > 0) {
      b.headers(headers);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static byte[] gunzip(byte[] gzipped) throws IOException {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gzipped))) {
      return in.readAllBytes();
    }
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = PageFilesTest.class.getClassLoader().getResourceAsStream(name)) {
      return in.readAllBytes();
    }
  }

  @Test
  void thePageGoesGzippedToClientsThatTakeIt(Vertx vertx) throws Exception {
    WebNode web = Wait.on(WebNode.start(vertx, null));
    String[][] files = {{"/", "webroot/index.html"}, {"/app.js", "webroot/app.js"}, {"/style.css", "webroot/style.css"},
      {"/views.js", "webroot/views.js"}, {WebVerticle.SOCKJS_URL, "META-INF/resources" + WebVerticle.SOCKJS_URL}};
    for (String[] f : files) {
      byte[] plain = resource(f[1]);
      HttpResponse<byte[]> z = fetch(web, "GET", f[0], "Accept-Encoding", "gzip, deflate, br");
      assertThat(z.statusCode()).as(f[0]).isEqualTo(200);
      assertThat(z.headers().firstValue("content-encoding")).as(f[0]).hasValue("gzip");
      assertThat(z.headers().firstValue("vary").orElse("")).as(f[0]).contains("Accept-Encoding");
      assertThat(z.body().length).as(f[0]).isLessThan(plain.length * 9 / 10);
      assertThat(gunzip(z.body())).as(f[0]).isEqualTo(plain);

      for (String refuses : new String[]{null, "identity", "gzip;q=0", "br"}) {
        HttpResponse<byte[]> p = refuses == null ? fetch(web, "GET", f[0]) : fetch(web, "GET", f[0], "Accept-Encoding", refuses);
        assertThat(p.headers().firstValue("content-encoding")).as(f[0] + " " + refuses).isEmpty();
        assertThat(p.headers().firstValue("vary").orElse("")).as(f[0]).contains("Accept-Encoding");
        assertThat(p.body()).as(f[0] + " " + refuses).isEqualTo(plain);
      }

      // Two representations, two tags: a cached plain copy does not stand for the gzipped one, nor the other way.
      String zTag = z.headers().firstValue("etag").orElseThrow();
      String plainTag = fetch(web, "GET", f[0]).headers().firstValue("etag").orElseThrow();
      assertThat(zTag).isNotEqualTo(plainTag);
      assertThat(fetch(web, "GET", f[0], "Accept-Encoding", "gzip", "If-None-Match", zTag).statusCode()).isEqualTo(304);
      assertThat(fetch(web, "GET", f[0], "Accept-Encoding", "gzip", "If-None-Match", "W/" + zTag).statusCode()).isEqualTo(304);
      assertThat(fetch(web, "GET", f[0], "Accept-Encoding", "gzip", "If-None-Match", "\"x\", " + zTag).statusCode()).isEqualTo(304);
      assertThat(fetch(web, "GET", f[0], "If-None-Match", "*").statusCode()).isEqualTo(304);
      HttpResponse<byte[]> other = fetch(web, "GET", f[0], "Accept-Encoding", "gzip", "If-None-Match", plainTag);
      assertThat(other.statusCode()).isEqualTo(200);
      assertThat(gunzip(other.body())).isEqualTo(plain);
      assertThat(fetch(web, "GET", f[0], "If-None-Match", zTag).statusCode()).isEqualTo(200);

      HttpResponse<byte[]> head = fetch(web, "HEAD", f[0], "Accept-Encoding", "gzip");
      assertThat(head.headers().firstValue("content-encoding")).hasValue("gzip");
      assertThat(head.headers().firstValue("content-length")).hasValue(String.valueOf(z.body().length));
      assertThat(head.body()).isEmpty();
    }
  }

  @Test
  void smallFilesAndNonTextGoAsTheyAre(Vertx vertx, @TempDir Path tmp) throws Exception {
    Path root = Files.createDirectories(tmp.resolve("site"));
    Files.writeString(root.resolve("index.html"), "<p>small</p>");
    String text = "body { color: red; }\n".repeat(200);
    Files.writeString(root.resolve("big.css"), text);
    byte[] image = new byte[4096];
    new Random(7).nextBytes(image);
    Files.write(root.resolve("a.png"), image);
    byte[] repetitiveImage = "PNG".repeat(2000).getBytes(StandardCharsets.US_ASCII);
    Files.write(root.resolve("b.png"), repetitiveImage);
    Files.write(root.resolve("noise.txt"), image); // text by its name, but nothing gzip could shrink
    WebNode web = Wait.on(WebNode.start(vertx, new JsonObject().put(Config.WEB_ROOT, root.toString())));

    HttpResponse<byte[]> small = fetch(web, "GET", "/", "Accept-Encoding", "gzip");
    assertThat(small.headers().firstValue("content-encoding")).isEmpty();
    assertThat(small.headers().firstValue("vary").orElse("")).doesNotContain("Accept-Encoding");
    assertThat(new String(small.body(), StandardCharsets.UTF_8)).isEqualTo("<p>small</p>");
    for (String png : new String[]{"/a.png", "/b.png", "/noise.txt"}) {
      HttpResponse<byte[]> r = fetch(web, "GET", png, "Accept-Encoding", "gzip");
      assertThat(r.headers().firstValue("content-encoding")).as(png).isEmpty();
      assertThat(r.body()).isEqualTo(Files.readAllBytes(root.resolve(png.substring(1))));
    }
    HttpResponse<byte[]> css = fetch(web, "GET", "/big.css", "Accept-Encoding", "gzip");
    assertThat(css.headers().firstValue("content-encoding")).hasValue("gzip");
    assertThat(new String(gunzip(css.body()), StandardCharsets.UTF_8)).isEqualTo(text);
    // A directory's file is read again each time: an edit shows on reload, gzipped too.
    String edited = "body { color: blue; }\n".repeat(200);
    Files.writeString(root.resolve("big.css"), edited);
    HttpResponse<byte[]> again = fetch(web, "GET", "/big.css", "Accept-Encoding", "gzip", "If-None-Match",
      css.headers().firstValue("etag").orElseThrow());
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(new String(gunzip(again.body()), StandardCharsets.UTF_8)).isEqualTo(edited);
  }

  @Test
  void aConfiguredDirectoryIsServedButNoLinkOutOfIt(Vertx vertx, @TempDir Path tmp) throws Exception {
    Path root = Files.createDirectories(tmp.resolve("site"));
    Path outside = Files.createDirectories(tmp.resolve("outside"));
    Files.writeString(root.resolve("index.html"), "<p>from the directory</p>");
    Files.createDirectories(root.resolve("sub"));
    Files.writeString(root.resolve("sub/app.js"), "console.log(1)");
    Files.writeString(outside.resolve("secret.txt"), "secret");
    Files.createSymbolicLink(root.resolve("secret.txt"), outside.resolve("secret.txt"));
    Files.createSymbolicLink(root.resolve("passwd"), Path.of("/etc/passwd"));
    Files.createSymbolicLink(root.resolve("out"), outside);
    Files.createSymbolicLink(root.resolve("same.html"), root.resolve("index.html"));

    WebNode web = Wait.on(WebNode.start(vertx, new JsonObject().put(Config.WEB_ROOT, root.toString())));
    assertThat(get(web, "/").body()).isEqualTo("<p>from the directory</p>");
    assertThat(get(web, "/sub/app.js").body()).isEqualTo("console.log(1)");
    assertThat(get(web, "/same.html").body()).as("a link that stays inside").isEqualTo("<p>from the directory</p>");
    for (String path : new String[]{"/secret.txt", "/passwd", "/out/secret.txt", "/sub", "/../outside/secret.txt",
      "/%2e%2e/outside/secret.txt", "/app.js"}) {
      RawHttp.Response r = get(web, path);
      assertThat(r.status()).as(path).isEqualTo(404);
      assertThat(r.body()).as(path).doesNotContain("secret", "root:");
    }
  }
}
