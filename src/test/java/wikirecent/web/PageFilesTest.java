package wikirecent.web;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.config.Config;
import wikirecent.testsupport.Wait;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

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
