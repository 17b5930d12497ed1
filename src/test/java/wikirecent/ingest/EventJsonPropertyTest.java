package wikirecent.ingest;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.statistics.Statistics;
import wikirecent.jsonb.JsonTexts;

import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The one-pass {@link EventJson} against the Jackson-based check it replaced ({@link JacksonEventJson}): the same
 * kind, meta.id, meta.dt and record line for every text, generated, mutated or soup.
 */
class EventJsonPropertyTest {

  private final EventJson reused = new EventJson();

  @Property(tries = 3000)
  void sameInspectionAsTheJacksonCheck(@ForAll long seed) {
    Random r = new Random(seed);
    for (int i = 0; i < 10; i++) {
      byte[] data = JsonTexts.any(r);
      EventJson.Inspection expected = JacksonEventJson.inspect(data);
      EventJson.Inspection ours = reused.read(data);
      String shown = new String(data, StandardCharsets.UTF_8);
      assertThat(ours.kind()).as("kind of %s (%s / %s)", shown, ours.reason(), expected.reason()).isEqualTo(expected.kind());
      assertThat(ours.metaId()).as("meta.id of %s", shown).isEqualTo(expected.metaId());
      assertThat(ours.metaDt()).as("meta.dt of %s", shown).isEqualTo(expected.metaDt());
      assertThat(ours.line()).as("line of %s", shown).isEqualTo(expected.line());
      EventJson.Inspection fresh = EventJson.inspect(data);
      assertThat(fresh.kind()).isEqualTo(ours.kind());
      assertThat(fresh.metaId()).isEqualTo(ours.metaId());
      assertThat(fresh.line()).isEqualTo(ours.line());
      Statistics.label("kind").collect(ours.kind());
      Statistics.label("meta.id").collect(ours.metaId() == null ? "none" : ours.metaId().isEmpty() ? "empty" : "some");
      Statistics.label("line").collect(ours.line() == null ? "none" : ours.line() == data ? "as sent" : "joined");
    }
  }
}
