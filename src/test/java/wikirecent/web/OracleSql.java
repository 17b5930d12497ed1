package wikirecent.web;

import wikirecent.bus.ViewParams.View;

/**
 * The views' definitions in PostgreSQL, written from the contract of the parameters (not from the engine):
 * an event's wiki is {@code val->>'wiki'}; bot is the top-level {@code bot} being the JSON literal true; ts is
 * the top-level {@code timestamp} when it is a JSON number with an integer value in [0, 2^53-1], else NULL; the
 * watermark is the largest ts in the table; a window W keeps events with {@code ts > wm - W}, {@code all}
 * keeps every event. Each query takes $1 the wiki (NULL: any), $2 bot (NULL: any), $3 the window in seconds
 * (NULL: all). Top lists rank by count, then the name in code-point order (C collation), NULL last.
 */
final class OracleSql {

  /** The table the file's data lines go into, and each event's fields. */
  static final String SCHEMA = String.join("\n",
    "CREATE TABLE rc (val jsonb);",
    "CREATE VIEW ev AS",
    "  SELECT val->>'user' AS usr, val->>'wiki' AS wiki,",
    "         COALESCE(val->'bot' = 'true'::jsonb, false) AS bot,",
    "         CASE WHEN t >= 0 AND t <= 9007199254740991 AND t = trunc(t) THEN t::bigint END AS ts",
    "  FROM (SELECT val, CASE WHEN jsonb_typeof(val->'timestamp') = 'number' THEN (val->'timestamp')::numeric END AS t",
    "        FROM rc) r;");

  private static final String SET = "(SELECT * FROM ev WHERE ($1::text IS NULL OR wiki = $1::text)"
    + " AND ($2::boolean IS NULL OR bot = $2::boolean)"
    + " AND ($3::bigint IS NULL OR ts > (SELECT max(ts) FROM ev) - $3::bigint)) s";

  private OracleSql() {
  }

  /** The query of a view; every one takes the three parameters (those a view does not take are NULL). */
  static String query(View view) {
    return switch (view) {
      case COUNTER -> "SELECT count(*) FROM " + SET;
      case TOP10 -> "SELECT usr, count(*) AS n FROM " + SET + " GROUP BY usr ORDER BY n DESC, usr COLLATE \"C\" NULLS LAST LIMIT 10";
      case TOP_WIKIS -> "SELECT wiki, count(*) AS n FROM " + SET + " GROUP BY wiki ORDER BY n DESC, wiki COLLATE \"C\" NULLS LAST LIMIT 10";
      case USER_EDITS -> "SELECT usr, count(*) FROM " + SET + " GROUP BY usr";
      case WIKI_EDITS -> "SELECT wiki, count(*) FROM " + SET + " GROUP BY wiki";
      // The last hour whatever $3 says; bot is a column, not a filter.
      case EDITS_PER_MINUTE -> "SELECT ts - ts % 60, bot, count(*) FROM ev WHERE ($1::text IS NULL OR wiki = $1::text)"
        + " AND ($2::boolean IS NULL OR TRUE) AND ($3::bigint IS NULL OR TRUE)"
        + " AND ts > (SELECT max(ts) FROM ev) - 3600 GROUP BY ts - ts % 60, bot";
    };
  }
}
