package wikirecent.tail;

import org.junit.jupiter.api.Test;

import wikirecent.bus.ViewParams;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SqlScriptTest {

  @Test
  void splitsOnSemicolonsOutsideQuotesAndComments() {
    String script = """
      -- a comment; with a semicolon
      CREATE SOURCE s FROM FILE '/a;b' FORMAT REGEX '^data: (?P<data>.*)';
      /* block; comment */ CREATE VIEW "we;ird" AS SELECT 'it''s; fine' AS x; -- trailing
      ;;
      SELECT 1""";
    assertThat(SqlScript.split(script)).containsExactly(
      "CREATE SOURCE s FROM FILE '/a;b' FORMAT REGEX '^data: (?P<data>.*)'",
      "CREATE VIEW \"we;ird\" AS SELECT 'it''s; fine' AS x",
      "SELECT 1");
  }

  @Test
  void wholeLineCommentsLeaveNoBlankLines() {
    assertThat(SqlScript.split("CREATE VIEW v AS\n  -- why\n  SELECT 1;"))
      .containsExactly("CREATE VIEW v AS\n  SELECT 1");
  }

  @Test
  void anUnterminatedQuoteIsAnError() {
    assertThatThrownBy(() -> SqlScript.split("SELECT 'oops;")).hasMessageContaining("unterminated");
    assertThatThrownBy(() -> SqlScript.split("SELECT 1 /* oops")).hasMessageContaining("unterminated");
  }

  @Test
  void viewsSqlStartsWithTheSeedsDdlMadeDeterministic() {
    List<String> statements = SqlScript.load("/sql/views.sql");
    assertThat(statements.get(0)).isEqualTo("""
      CREATE SOURCE IF NOT EXISTS wikirecent
      FROM FILE '/data/recentchanges' WITH (tail = true)
      FORMAT REGEX '^data: (?P<data>.*)'""");
    assertThat(statements.get(1)).startsWith("CREATE MATERIALIZED VIEW IF NOT EXISTS recentchanges AS");
    assertThat(statements.get(2)).startsWith("CREATE MATERIALIZED VIEW IF NOT EXISTS counter AS");
    assertThat(statements.get(3)).startsWith("CREATE MATERIALIZED VIEW IF NOT EXISTS user_edits AS");
    assertThat(statements.get(4)).startsWith("CREATE MATERIALIZED VIEW IF NOT EXISTS top10 AS")
      .contains("ORDER BY count DESC, \"user\" LIMIT 10");
    assertThat(statements).allSatisfy(s -> assertThat(s)
      .matches("(?s)CREATE (SOURCE|VIEW|MATERIALIZED VIEW) IF NOT EXISTS [a-z_][a-z0-9_]*\\s.*")
      .doesNotContain("--"));
  }

  @Test
  void everyViewTheTailNamesIsCreatedOnceInViewsSql() {
    Map<String, String> created = created();
    assertThat(ServedSets.all()).hasSize(39);
    for (ServedSets.Served set : ServedSets.all()) {
      assertThat(created).as("views.sql creates %s (for %s)", set.sqlView(), set.key()).containsKey(set.sqlView());
    }
    assertThat(ServedSets.all().stream().map(ServedSets.Served::sqlView).distinct()).hasSize(39);
  }

  @Test
  void eachSetsViewIsTheSliceOfItsParameters() {
    Map<String, String> created = created();
    for (ServedSets.Served set : ServedSets.all()) {
      if (set.always()) {
        continue;
      }
      ViewParams p = ViewParams.parse(set.key());
      String bots = p.bot() == null ? "any" : p.bot().toString();
      String columns = set.columns().stream().map(c -> c.name().equals("user") ? "\"user\"" : c.name()).collect(Collectors.joining(", "));
      assertThat(created.get(set.sqlView())).as(set.key()).isEqualTo("CREATE VIEW IF NOT EXISTS " + set.sqlView() + " AS\n    SELECT "
        + columns + " FROM " + p.view().viewName() + "_sets WHERE win = '" + p.window().text() + "' AND bots = '" + bots + "'");
    }
  }

  @Test
  void theServedTableHasEveryBotAndWindowOfTheFilteredViewsAndNoWiki() {
    java.util.Set<String> keys = new java.util.HashSet<>();
    for (ViewParams.View v : List.of(ViewParams.View.COUNTER, ViewParams.View.TOP10, ViewParams.View.TOP_WIKIS)) {
      for (Boolean bot : java.util.Arrays.asList(null, true, false)) {
        for (ViewParams.Window w : ViewParams.Window.values()) {
          keys.add(new ViewParams(v, null, bot, w).toString());
        }
      }
    }
    keys.addAll(List.of("user_edits", "edits_per_minute", "wiki_edits"));
    assertThat(ServedSets.all()).extracting(ServedSets.Served::key).containsExactlyInAnyOrderElementsOf(keys);
    assertThat(ServedSets.always()).extracting(ServedSets.Served::key)
      .containsExactly("counter", "user_edits", "top10", "top_wikis", "edits_per_minute", "wiki_edits");
    assertThat(ServedSets.byKey("top10?wiki=enwiki")).isEmpty();
    assertThat(ServedSets.byKey("edits_per_minute?wiki=enwiki")).isEmpty();
  }

  @Test
  void tailSqlHoldsTheSessionStatements() {
    TailSql sql = TailSql.load();
    assertThat(sql.begin()).isEqualTo("BEGIN");
    assertThat(sql.declare("top10")).isEqualTo("DECLARE c CURSOR FOR TAIL top10 WITH (PROGRESS)");
    assertThat(sql.declare("top10_bot_false_5m")).isEqualTo("DECLARE c CURSOR FOR TAIL top10_bot_false_5m WITH (PROGRESS)");
    assertThatThrownBy(() -> sql.declare("top10; DROP VIEW top10")).hasMessageContaining("not a plain SQL identifier");
    assertThat(sql.fetch()).isEqualTo("FETCH ALL c WITH (timeout='1s')");
    assertThat(sql.bootstrap()).isEqualTo(SqlScript.load("/sql/views.sql"));
  }

  /** What views.sql creates, by name, each once. */
  static Map<String, String> created() {
    Map<String, String> created = new LinkedHashMap<>();
    Pattern name = Pattern.compile("(?s)CREATE (?:SOURCE|VIEW|MATERIALIZED VIEW) IF NOT EXISTS ([a-z_][a-z0-9_]*)\\s.*");
    for (String s : SqlScript.load("/sql/views.sql")) {
      Matcher m = name.matcher(s);
      assertThat(m.matches()).as(s).isTrue();
      assertThat(created.put(m.group(1), s)).as("%s created twice", m.group(1)).isNull();
    }
    return created;
  }
}
