package wikirecent.tail;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The SQL of the tail verticle, all of it from {@code sql/}: the bootstrap ({@code views.sql})
 * and the three statements of a TAIL session ({@code tail.sql}).
 */
record TailSql(List<String> bootstrap, String begin, String declareTemplate, String fetch) {

  private static final String VIEW_PLACEHOLDER = "{view}";
  private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]*");

  static TailSql load() {
    List<String> session = SqlScript.load("/sql/tail.sql");
    if (session.size() != 3
      || !session.get(0).startsWith("BEGIN")
      || !session.get(1).startsWith("DECLARE") || !session.get(1).contains(VIEW_PLACEHOLDER)
      || !session.get(2).startsWith("FETCH")) {
      throw new IllegalStateException("sql/tail.sql must hold BEGIN, DECLARE ... {view} ..., FETCH; it holds " + session);
    }
    return new TailSql(SqlScript.load("/sql/views.sql"), session.get(0), session.get(1), session.get(2));
  }

  /** The DECLARE for a view of the fixed table ({@link ServedSets}); the name is checked to be a bare identifier all the same. */
  String declare(String sqlView) {
    if (!isIdentifier(sqlView)) {
      throw new IllegalArgumentException("not a plain SQL identifier: " + sqlView);
    }
    return declareTemplate.replace(VIEW_PLACEHOLDER, sqlView);
  }

  static boolean isIdentifier(String name) {
    return IDENTIFIER.matcher(name).matches();
  }
}
