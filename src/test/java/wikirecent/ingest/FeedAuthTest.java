package wikirecent.ingest;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

class FeedAuthTest {

  private static String basicOf(String pair) {
    return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void theUserPartIsBasicAuthenticationWithItsEscapesDecoded() {
    assertThat(FeedAuth.basic("https://u:p%40ss@h/feed")).isEqualTo(basicOf("u:p@ss"));
    assertThat(FeedAuth.basic("https://u:a:b@h/feed")).isEqualTo(basicOf("u:a:b")); // the server splits at the first colon
    assertThat(FeedAuth.basic("https://t%C3%B6ken@h/feed")).isEqualTo(basicOf("töken:")); // a user alone: an empty password
    assertThat(FeedAuth.basic("https://h/feed?token=x")).isNull();
  }

  @Test
  void aLocationOfAQueryAloneKeepsThePath() throws Exception {
    URI base = new URI("http://h:1/v2/stream/recentchange?since=1");
    assertThat(FeedAuth.resolve(base, new URI("?since=2"))).hasToString("http://h:1/v2/stream/recentchange?since=2");
    assertThat(FeedAuth.resolve(base, new URI(""))).hasToString("http://h:1/v2/stream/recentchange?since=1");
    assertThat(FeedAuth.resolve(base, new URI("/moved?x=1"))).hasToString("http://h:1/moved?x=1");
    assertThat(FeedAuth.resolve(base, new URI("other"))).hasToString("http://h:1/v2/stream/other");
    assertThat(FeedAuth.resolve(base, new URI("https://g/f"))).hasToString("https://g/f");
  }
}
