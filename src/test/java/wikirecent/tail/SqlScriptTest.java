package wikirecent.tail;

import org.junit.jupiter.api.Test;

import java.util.List;

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
  void viewsSqlIsTheSeedsDdlMadeDeterministic() {
    List<String> statements = SqlScript.load("/sql/views.sql");
    assertThat(statements).hasSize(5);
    assertThat(statements.get(0)).isEqualTo("""
      CREATE SOURCE IF NOT EXISTS wikirecent
      FROM FILE '/data/recentchanges' WITH (tail = true)
      FORMAT REGEX '^data: (?P<data>.*)'""");
    assertThat(statements.get(1)).startsWith("CREATE MATERIALIZED VIEW IF NOT EXISTS recentchanges AS");
    assertThat(statements.get(2)).startsWith("CREATE MATERIALIZED VIEW IF NOT EXISTS counter AS");
    assertThat(statements.get(3)).startsWith("CREATE MATERIALIZED VIEW IF NOT EXISTS user_edits AS");
    assertThat(statements.get(4)).startsWith("CREATE MATERIALIZED VIEW IF NOT EXISTS top10 AS")
      .contains("ORDER BY count DESC, \"user\" LIMIT 10");
    assertThat(statements).allSatisfy(s -> assertThat(s).contains("IF NOT EXISTS").doesNotContain("--"));
  }

  @Test
  void tailSqlHoldsTheSessionStatements() {
    TailSql sql = TailSql.load();
    assertThat(sql.begin()).isEqualTo("BEGIN");
    assertThat(sql.declare(wikirecent.bus.Views.TOP10)).isEqualTo("DECLARE c CURSOR FOR TAIL top10 WITH (PROGRESS)");
    assertThat(sql.fetch()).isEqualTo("FETCH ALL c WITH (timeout='1s')");
    assertThat(sql.bootstrap()).isEqualTo(SqlScript.load("/sql/views.sql"));
  }
}
