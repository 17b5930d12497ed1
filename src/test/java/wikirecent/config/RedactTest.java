package wikirecent.config;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RedactTest {

  @Test
  void userInfoAndQueryValuesAreMaskedTheRestStays() {
    assertThat(Redact.url("https://feed:s3cret@stream.example.org:8443/v2/stream/recentchange?token=abc&since=2024-01-01T00:00:00Z"))
      .isEqualTo("https://***@stream.example.org:8443/v2/stream/recentchange?token=***&since=***");
    assertThat(Redact.url("postgresql://materialize:pa55@materialized:6875/materialize?sslmode=require&password=x"))
      .isEqualTo("postgresql://***@materialized:6875/materialize?sslmode=***&password=***");
    assertThat(Redact.url("https://TOKEN@host/x#frag")).isEqualTo("https://***@host/x#***");
    assertThat(Redact.url("http://host/path?bare-token")).isEqualTo("http://host/path?***");
  }

  @Test
  void aUrlWithNothingSecretIsUnchanged() {
    for (String url : new String[] {"https://stream.wikimedia.org/v2/stream/recentchange", "http://127.0.0.1:8876/v2/stream/recentchange",
      "http://host", "http://host/a@b/c", "stream.wikimedia.org/v2/stream/recentchange", "http://"}) {
      assertThat(Redact.url(url)).as(url).isEqualTo(url);
    }
  }

  @Test
  void aUrlWithoutSchemeStillLosesItsUserInfo() {
    assertThat(Redact.url("user:pw@host/feed?key=v")).isEqualTo("***@host/feed?key=***");
  }

  @Test
  void everyUrlInATextIsRedactedAndPunctuationAfterItKept() {
    String text = "Cannot parse invalid connection URI: postgresql://u:pw@h:x/db, and http://a:b@c/d?t=1. Also (https://e/f?k=v).";
    assertThat(Redact.text(text)).isEqualTo(
      "Cannot parse invalid connection URI: postgresql://***@h:x/db, and http://***@c/d?t=***. Also (https://e/f?k=***).");
    assertThat(Redact.text("no url here: user:pw@host")).isEqualTo("no url here: user:pw@host");
    assertThat(Redact.text(null)).isNull();
  }

  /** Passwords typed as they are, unescaped: the URL is not valid, but the error quoting it must not show them. */
  @Test
  void aPasswordWithASlashASpaceOrAQuoteIsMaskedToo() {
    assertThat(Redact.url("http://alice:pa/ss@127.0.0.1:1/x?t=1")).isEqualTo("http://***@127.0.0.1:1/x?t=***");
    assertThat(Redact.url("http://alice:pa#ss@h/x")).isEqualTo("http://***@h/x");
    assertThat(Redact.url("http://alice:pa?ss@h/x")).isEqualTo("http://***@h/x");
    assertThat(Redact.url("http://host:8080/a@b/c")).isEqualTo("http://host:8080/a@b/c");
    assertThat(Redact.text("invalid connection URI: postgresql://bob:Pa ss\"w0rd@127.0.0.1:6875/materialize (check it)"))
      .isEqualTo("invalid connection URI: postgresql://***@127.0.0.1:6875/materialize (check it)");
    assertThat(Redact.text("stream.url must be an http:// or https:// URL, not 'http://alice:pa/ss@127.0.0.1:1/x'"))
      .isEqualTo("stream.url must be an http:// or https:// URL, not 'http://***@127.0.0.1:1/x'");
    assertThat(Redact.text("postgresql://bob:it's@h:6875/m")).isEqualTo("postgresql://***@h:6875/m");
    assertThat(Redact.text("bad URI: postgresql://u:p w@h/m?password=x, retrying")).isEqualTo("bad URI: postgresql://***@h/m?password=***, retrying");
    // Not a password: a port before punctuation, an IPv6 literal.
    assertThat(Redact.text("see http://localhost:8875, or ops@example.org")).isEqualTo("see http://localhost:8875, or ops@example.org");
    assertThat(Redact.url("http://[::1]:8080/x?m=a@b")).isEqualTo("http://[::1]:8080/x?m=***");
  }
}
