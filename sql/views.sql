-- wikirecent's views on Materialize v0.26; what each statement is for and how it is run: docs/materialize.md.

-- The file ingest appends to (the compose volume is mounted at /data).
-- Each record's "data: " line carries one event's JSON; the other lines
-- (event:, id:, blank) do not match and are skipped.
CREATE SOURCE IF NOT EXISTS wikirecent
FROM FILE '/data/recentchanges' WITH (tail = true)
FORMAT REGEX '^data: (?P<data>.*)';

-- Only the column the views need. The original demo's view cast a dozen fields (::bool,
-- ::float::int); in Materialize a failed cast puts every view on top in an
-- error state that nothing clears (MaterializeInc/materialize#6861), so each
-- cast we do not need is a risk we do not take. The one cast left,
-- data::jsonb, is one PostgreSQL's jsonb input accepts for every line our
-- ingest writes: ingest writes an event only if it is a JSON object that
-- passes the embedded engine's own PostgreSQL check (valid UTF-8, no \u0000
-- and no unpaired surrogate escape, no byte-order mark, numbers in numeric's
-- range, at most 10,000 levels deep; tested against PostgreSQL 15), and skips
-- and counts the rest. Not covered: lines written by anything else, and any
-- place Materialize's own JSON parser is stricter than PostgreSQL's.
-- Materialized, as in Materialize's original wikirecent demo: the file source is then read by this one
-- dataflow, and counter and user_edits are both built on its index, so they
-- change at the same timestamps. With one column, identical rows consolidate:
-- memory grows with distinct users, not with events.
CREATE MATERIALIZED VIEW IF NOT EXISTS recentchanges AS
    SELECT val->>'user' AS "user"
    FROM (SELECT data::jsonb AS val FROM wikirecent);

CREATE MATERIALIZED VIEW IF NOT EXISTS counter AS
    SELECT count(*) FROM recentchanges;

-- "user" is quoted: unquoted, USER is a reserved word for current_user in
-- PostgreSQL; quoted, it is the column on every SQL engine.
CREATE MATERIALIZED VIEW IF NOT EXISTS user_edits AS
    SELECT "user", count(*) FROM recentchanges GROUP BY "user";

-- The original demo ordered by count only, so ties at the 10th place were broken
-- arbitrarily and two runs could disagree. Ties go to the smaller name
-- (byte order, NULL last), exactly as the embedded engine does.
CREATE MATERIALIZED VIEW IF NOT EXISTS top10 AS
    SELECT "user", count FROM user_edits ORDER BY count DESC, "user" LIMIT 10;
