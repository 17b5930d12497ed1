package wikirecent.tail;

import io.vertx.pgclient.PgConnectOptions;
import org.junit.jupiter.api.Test;
import wikirecent.config.Config;
import wikirecent.replay.ReplayServer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docker-compose.yml cannot be run here (no Docker engine), so what can drift apart is checked:
 * the file Materialize's source reads (sql/views.sql) is where the stream service writes it and
 * where Materialize has the volume; the app reaches Materialize by its service name.
 */
class ComposeFileTest {

  @Test
  void theFileSourceTheVolumesAndTheDataDirAgree() throws IOException {
    Map<String, String> services = services(Files.readString(Path.of("docker-compose.yml")));
    assertThat(services).containsKeys("stream", "materialized", "app", "web", "cli", "replay");

    Matcher source = Pattern.compile("FROM FILE '([^']+)'").matcher(SqlScript.load("/sql/views.sql").get(0));
    assertThat(source.find()).isTrue();
    Path file = Path.of(source.group(1));
    assertThat(file.getFileName().toString()).isEqualTo(Config.FILE_NAME);
    String dir = file.getParent().toString();

    assertThat(services.get("stream")).contains("WIKIRECENT_ROLES: ingest", "WIKIRECENT_DATA_DIR: " + dir, "- wikidata:" + dir + "\n");
    assertThat(services.get("materialized")).contains("image: materialize/materialized:v0.26.", "- wikidata:" + dir + ":ro", "healthcheck:");
    assertThat(Files.readString(Path.of("Dockerfile"))).contains("WIKIRECENT_DATA_DIR=" + dir);

    String app = services.get("app");
    assertThat(app).contains("WIKIRECENT_ROLES: views,web", "WIKIRECENT_SOURCE: materialize", "condition: service_healthy", "\"8875:8875\"");
    Matcher url = Pattern.compile("WIKIRECENT_MATERIALIZE_URL: (\\S+)").matcher(app);
    assertThat(url.find()).isTrue();
    PgConnectOptions options = PgConnectOptions.fromUri(url.group(1));
    assertThat(options.getHost()).isEqualTo("materialized");
    assertThat(options.getPort()).isEqualTo(6875);
    assertThat(services.get("materialized")).contains("\"6875:6875\"");
  }

  @Test
  void theViewsTheFileShowsInSqlAreTheOnesViewsSqlCreates() throws IOException {
    Matcher named = Pattern.compile("(?:FROM|TAIL) ([a-z_][a-z0-9_]*)[;)]").matcher(Files.readString(Path.of("docker-compose.yml")));
    Set<String> created = SqlScriptTest.created().keySet();
    int n = 0;
    while (named.find()) {
      assertThat(created).as("docker-compose.yml names %s", named.group(1)).contains(named.group(1));
      n++;
    }
    assertThat(n).isGreaterThanOrEqualTo(3);
  }

  @Test
  void theWikirecentServicesFormOneClusterAndWebReplicasJoinIt() throws IOException {
    Map<String, String> services = services(Files.readString(Path.of("docker-compose.yml")));
    List<String> clustered = List.of("stream", "app", "web");
    Set<String> names = new HashSet<>();
    for (String name : clustered) {
      String service = services.get(name);
      assertThat(service).as(name).isNotNull().contains("image: wikirecent:latest", "command: [\"-cluster\"]");
      Matcher members = Pattern.compile("WIKIRECENT_CLUSTER_MEMBERS: (\\S+)").matcher(service);
      assertThat(members.find()).as(name + " lists the members").isTrue();
      for (String member : members.group(1).split(",")) {
        // a member is a service that always runs (no profile) and joins the cluster
        assertThat(clustered).as(name + "'s member " + member).contains(member);
        assertThat(services.get(member)).as(member).doesNotContain("profiles:");
      }
      Matcher cluster = Pattern.compile("WIKIRECENT_CLUSTER_NAME: (\\S+)").matcher(service);
      names.add(cluster.find() ? cluster.group(1) : Config.of(Config.load(null, Map.of())).string(Config.CLUSTER_NAME));
    }
    assertThat(names).as("one cluster name").hasSize(1);
    // single services advertise their own service name; replicas share one, so each takes its own address
    assertThat(services.get("stream")).contains("WIKIRECENT_CLUSTER_HOST: stream");
    assertThat(services.get("app")).contains("WIKIRECENT_CLUSTER_HOST: app");
    String web = services.get("web");
    assertThat(web).contains("WIKIRECENT_CLUSTER_HOST: auto", "WIKIRECENT_ROLES: web", "profiles: [\"web\"]");
    Matcher ports = Pattern.compile("- \"(\\d+)-(\\d+):(\\d+)\"").matcher(web);
    assertThat(ports.find()).as("web replicas take host ports from a range").isTrue();
    int http = Config.of(Config.load(null, Map.of())).integer(Config.HTTP_PORT);
    assertThat(Integer.parseInt(ports.group(3))).isEqualTo(http);
    assertThat(Integer.parseInt(ports.group(1))).as("the range leaves app's port alone").isGreaterThan(http);
  }

  @Test
  void theOfflineReplayIsReachableFromTheOtherContainersAtTheUrlTheFileGives() throws IOException {
    String compose = Files.readString(Path.of("docker-compose.yml"));
    String replay = services(compose).get("replay");
    Matcher port = Pattern.compile("\"--port\", \"(\\d+)\"").matcher(replay);
    assertThat(port.find()).as("the replay service names its port").isTrue();
    assertThat(replay).contains("\"--host\", \"0.0.0.0\"", "- \"" + port.group(1) + "\"");
    // The URL the comment tells users to give stream is where the replay serves.
    assertThat(compose).contains("WIKIRECENT_STREAM_URL=http://replay:" + port.group(1) + ReplayServer.PATH + " ");
  }

  // The text of each service under "services:" (two-space indented names), enough for this file.
  private static Map<String, String> services(String compose) {
    Map<String, String> out = new LinkedHashMap<>();
    boolean inServices = false;
    String current = null;
    StringBuilder body = new StringBuilder();
    for (String line : (compose + "\nend:\n").lines().toList()) {
      if (!line.startsWith(" ") && !line.isBlank() && !line.startsWith("#")) {
        if (current != null) {
          out.put(current, body.toString());
          current = null;
        }
        inServices = line.equals("services:");
        continue;
      }
      Matcher name = Pattern.compile("^  ([a-z][a-z0-9_-]*):\\s*$").matcher(line);
      if (inServices && name.matches()) {
        if (current != null) {
          out.put(current, body.toString());
        }
        current = name.group(1);
        body.setLength(0);
      } else if (current != null) {
        body.append(line).append('\n');
      }
    }
    return out;
  }
}
