package wikirecent.bus;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PartStatusTest {

  @Test
  void eachStatusCrossesTheBusAsJsonAndComesBackTheSame() {
    IngestStatus ingest = new IngestStatus(true, "streaming from https://stream.example", "[{\"offset\":7}]");
    assertThat(ingest.toJson()).isEqualTo(new JsonObject("{\"part\":\"ingest\",\"live\":true,"
      + "\"detail\":\"streaming from https://stream.example\",\"lastId\":\"[{\\\"offset\\\":7}]\"}"));
    assertThat(IngestStatus.fromJson(new JsonObject(ingest.toJson().encode()))).isEqualTo(ingest);

    ViewsStatus views = new ViewsStatus(false, "materialize", "counter connecting");
    assertThat(views.toJson()).isEqualTo(new JsonObject("{\"part\":\"views\",\"live\":false,\"source\":\"materialize\",\"detail\":\"counter connecting\"}"));
    assertThat(ViewsStatus.fromJson(new JsonObject(views.toJson().encode()))).isEqualTo(views);
  }

  @Test
  void theOptionalFieldsMayBeLeftOut() {
    JsonObject minimal = new JsonObject().put("part", "ingest").put("live", false).put("detail", "starting");
    assertThat(IngestStatus.fromJson(minimal)).isEqualTo(new IngestStatus(false, "starting", ""));
    assertThat(ViewsStatus.fromJson(minimal.copy().put("part", "views"))).isEqualTo(new ViewsStatus(false, "", "starting"));
  }

  @Test
  void anythingElseIsRefusedSayingWhy() {
    JsonObject ok = new IngestStatus(true, "d", "").toJson();
    assertThatThrownBy(() -> IngestStatus.fromJson("live")).hasMessageContaining("JSON object, not String");
    assertThatThrownBy(() -> IngestStatus.fromJson(null)).hasMessageContaining("not null");
    assertThatThrownBy(() -> ViewsStatus.fromJson(ok)).hasMessageContaining("a status of views says \"part\": ingest");
    assertThatThrownBy(() -> IngestStatus.fromJson(ok.copy().put("live", "yes"))).hasMessageContaining("\"live\"");
    JsonObject noDetail = ok.copy();
    noDetail.remove("detail");
    assertThatThrownBy(() -> IngestStatus.fromJson(noDetail)).hasMessageContaining("\"detail\"");
    assertThatThrownBy(() -> IngestStatus.fromJson(ok.copy().put("lastId", 5))).hasMessageContaining("\"lastId\"");
    assertThatThrownBy(() -> ViewsStatus.fromJson(ok.copy().put("part", "views").put("source", true))).hasMessageContaining("\"source\"");
  }
}
