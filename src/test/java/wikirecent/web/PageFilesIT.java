package wikirecent.web;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import wikirecent.testsupport.JarProcess;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The jar started in a directory that has a {@code webroot} of its own (a decoy page, a link to
 * a file outside, a decoy SockJS script): the jar's own files are served, nothing from there.
 * Needs {@code mvn package} first (failsafe runs after it).
 */
class PageFilesIT {

  private static final String SOCKJS = WebVerticle.SOCKJS_URL.substring("/webjars/".length());

  private static String fromJar(String entry) throws Exception {
    try (ZipFile jar = new ZipFile(JarProcess.JAR.toFile())) {
      return new String(jar.getInputStream(jar.getEntry(entry)).readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static RawHttp.Response get(int port, String path) throws Exception {
    return RawHttp.exchange(port, "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  }

  @Test
  void aWebrootInTheWorkingDirectoryIsIgnored(@TempDir Path dir) throws Exception {
    Path webroot = Files.createDirectories(dir.resolve("webroot"));
    Files.writeString(webroot.resolve("index.html"), "<p>decoy</p>");
    Files.writeString(dir.resolve("secret.txt"), "secret");
    Files.createSymbolicLink(webroot.resolve("secret.txt"), dir.resolve("secret.txt"));
    Files.createSymbolicLink(webroot.resolve("passwd"), Path.of("/etc/passwd"));
    Path webjars = Files.createDirectories(dir.resolve("META-INF/resources/webjars").resolve(SOCKJS).getParent());
    Files.writeString(webjars.resolve("sockjs.min.js"), "alert('decoy')");

    try (JarProcess app = JarProcess.start("web", dir, dir,
      Map.of("WIKIRECENT_ROLES", "web", "WIKIRECENT_HTTP_PORT", "0"), JarProcess.SMALL_JVM)) {
      int port = app.awaitHttpPort();
      RawHttp.Response page = get(port, "/");
      assertThat(page.status()).isEqualTo(200);
      assertThat(page.body()).isEqualTo(fromJar("webroot/index.html")).doesNotContain("decoy");
      assertThat(get(port, WebVerticle.SOCKJS_URL).body()).isEqualTo(fromJar("META-INF/resources/webjars/" + SOCKJS));
      for (String path : List.of("/secret.txt", "/passwd")) {
        RawHttp.Response r = get(port, path);
        assertThat(r.status()).as(path).isEqualTo(404);
        assertThat(r.body()).as(path).doesNotContain("secret", "root:");
      }
      app.stop();
    }
  }
}
