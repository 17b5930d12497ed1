-- wikirecent's views on Materialize v0.26; what each statement is for and how it is run: docs/materialize.md.

-- The file ingest appends to (the compose volume is mounted at /data).
-- Each record's "data: " line carries one event's JSON; the other lines
-- (event:, id:, blank) do not match and are skipped.
CREATE SOURCE IF NOT EXISTS wikirecent
FROM FILE '/data/recentchanges' WITH (tail = true)
FORMAT REGEX '^data: (?P<data>.*)';

-- Only the column the views need. The original demo's view cast a dozen fields (::bool,
-- ::float::int); in Materialize a failed cast puts every view on top in an
-- error state that nothing clears (a known Materialize bug), so each
-- cast we do not need is a risk we do not take. The one cast left,
-- data::jsonb, is one PostgreSQL's jsonb input accepts for every line our
-- ingest writes: ingest writes an event only if it is a JSON object that
-- passes the embedded engine's own PostgreSQL check (valid UTF-8, no \u0000
-- and no unpaired surrogate escape, no byte-order mark, numbers in numeric's
-- range, at most 10,000 levels deep; tested against PostgreSQL 15), and skips
-- and counts the rest. Not covered: lines written by anything else, and any
-- place Materialize's own JSON parser is stricter than PostgreSQL's.
-- Materialized, as in Materialize's original wikirecent demo: counter and user_edits are then both
-- built on its index, one reading of the file, so they change at the same timestamps (the shaped
-- views below read it through shaped_events, unmaterialized, in dataflows of their own). With one column, identical rows consolidate:
-- memory grows with distinct users, not with events.
CREATE MATERIALIZED VIEW IF NOT EXISTS recentchanges AS
    SELECT val->>'user' AS "user"
    FROM (SELECT data::jsonb AS val FROM wikirecent) l;

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

-- Shaped views: the parameter sets of counter, top10 and top_wikis (bot and window), edits_per_minute
-- and wiki_edits. Which set is tailed from which view: the fixed table in tail/ServedSets. A wiki is
-- never served here: a view per wiki would need the request's text in SQL.
--
-- What an event is read as, as the embedded engine reads it: the user, the wiki (val->>'wiki'), bot
-- (the top-level "bot" is the JSON literal true) and ts, the event time in seconds: the top-level
-- "timestamp" when it is a number with an integer value in [0, 2^53 - 1], else NULL. The CASEs guard
-- the two casts (a failed cast would wedge every view, see above): only a JSON number's own text reaches
-- ::numeric, only an integer in range reaches ::bigint.
CREATE VIEW IF NOT EXISTS shaped_events AS
    SELECT "user", wiki, bot,
        CASE WHEN n BETWEEN 0 AND 9007199254740991 AND n = floor(n) THEN n::bigint END AS ts
    FROM (SELECT val->>'user' AS "user", val->>'wiki' AS wiki,
                 COALESCE(val->'bot' = 'true'::jsonb, false) AS bot,
                 CASE WHEN jsonb_typeof(val->'timestamp') = 'number' THEN (val->>'timestamp')::numeric END AS n
          FROM (SELECT data::jsonb AS val FROM wikirecent) l) e;

-- Every event, for window=all. Identical rows consolidate: memory grows with distinct
-- (user, wiki, bot), not with events.
CREATE MATERIALIZED VIEW IF NOT EXISTS shaped_all AS
    SELECT "user", wiki, bot FROM shaped_events;

-- The events of the last 24 h by Materialize's clock (mz_logical_timestamp(), ms since the epoch):
-- an event stays while the clock is before ts + 86400 s. The windows end at the clock, not at the
-- newest event as the embedded engine's do: for a live feed that is within the feed's delay; a
-- replay of old recordings finds them empty. Memory: about one row per event of the day. Each
-- temporal filter is the top WHERE of a materialized view, the form Materialize documents.
CREATE MATERIALIZED VIEW IF NOT EXISTS shaped_day AS
    SELECT "user", wiki, bot, ts FROM shaped_events
    WHERE ts IS NOT NULL AND mz_logical_timestamp() < (ts + 86400) * 1000;

-- The last hour and the last five minutes, the same way (a 24th and a 288th of the day's rows).
CREATE MATERIALIZED VIEW IF NOT EXISTS shaped_hour AS
    SELECT "user", wiki, bot, ts FROM shaped_day
    WHERE mz_logical_timestamp() < (ts + 3600) * 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS shaped_5m AS
    SELECT "user", wiki, bot, ts FROM shaped_hour
    WHERE mz_logical_timestamp() < (ts + 300) * 1000;

-- Each event once per window it is in, by the window's name in the API.
CREATE VIEW IF NOT EXISTS shaped_windowed AS
    SELECT 'all' AS win, "user", wiki, bot FROM shaped_all
    UNION ALL SELECT '24h', "user", wiki, bot FROM shaped_day
    UNION ALL SELECT '1h', "user", wiki, bot FROM shaped_hour
    UNION ALL SELECT '5m', "user", wiki, bot FROM shaped_5m;

-- ... then once under bots 'any' and once under its own bot value: (win, bots) names a parameter set.
-- The default set (all, any) is left out: counter, top10 and top_wikis serve it.
CREATE VIEW IF NOT EXISTS shaped_sets AS
    SELECT win, 'any' AS bots, "user", wiki FROM shaped_windowed WHERE win <> 'all'
    UNION ALL SELECT win, CASE WHEN bot THEN 'true' ELSE 'false' END, "user", wiki FROM shaped_windowed;

-- The eleven sets, so a set nothing matches still has its row (counter) or its group (top lists).
CREATE VIEW IF NOT EXISTS shaped_set_names AS
    SELECT win, bots
    FROM (VALUES ('all'), ('24h'), ('1h'), ('5m')) w (win), (VALUES ('any'), ('true'), ('false')) b (bots)
    WHERE NOT (win = 'all' AND bots = 'any');

-- counter per set: 0 when nothing matches, as the embedded engine's counter.
CREATE MATERIALIZED VIEW IF NOT EXISTS counter_sets AS
    SELECT s.win, s.bots, COALESCE(c.count, 0) AS count
    FROM shaped_set_names s
    LEFT JOIN (SELECT win, bots, count(*) AS count FROM shaped_sets GROUP BY win, bots) c
        ON c.win = s.win AND c.bots = s.bots;

-- top10 per set: the top 10 of each group (count descending, then the name by bytes, NULL last).
CREATE VIEW IF NOT EXISTS shaped_user_counts AS
    SELECT win, bots, "user", count(*) AS count FROM shaped_sets GROUP BY win, bots, "user";

CREATE MATERIALIZED VIEW IF NOT EXISTS top10_sets AS
    SELECT s.win, s.bots, t."user", t.count
    FROM shaped_set_names s,
    LATERAL (SELECT "user", count FROM shaped_user_counts u
             WHERE u.win = s.win AND u.bots = s.bots
             ORDER BY count DESC, "user" LIMIT 10) t;

-- top_wikis per set, the same way.
CREATE VIEW IF NOT EXISTS shaped_wiki_counts AS
    SELECT win, bots, wiki, count(*) AS count FROM shaped_sets GROUP BY win, bots, wiki;

CREATE MATERIALIZED VIEW IF NOT EXISTS top_wikis_sets AS
    SELECT s.win, s.bots, t.wiki, t.count
    FROM shaped_set_names s,
    LATERAL (SELECT wiki, count FROM shaped_wiki_counts c
             WHERE c.win = s.win AND c.bots = s.bots
             ORDER BY count DESC, wiki LIMIT 10) t;

-- Every wiki seen, all time (NULL is its own row): the dashboard's wiki picker.
CREATE MATERIALIZED VIEW IF NOT EXISTS wiki_edits AS
    SELECT wiki, count(*) FROM shaped_all GROUP BY wiki;

-- top_wikis' default set, from wiki_edits as top10 is from user_edits.
CREATE MATERIALIZED VIEW IF NOT EXISTS top_wikis AS
    SELECT wiki, count FROM wiki_edits ORDER BY count DESC, wiki LIMIT 10;

-- Edits per minute of the last hour (by the clock, as the windows), bot and not apart.
CREATE MATERIALIZED VIEW IF NOT EXISTS edits_per_minute AS
    SELECT ts - ts % 60 AS minute, bot, count(*) FROM shaped_hour
    GROUP BY ts - ts % 60, bot;

-- One view per parameter set, each a slice of a view above: what the tail's DECLARE names.
CREATE VIEW IF NOT EXISTS counter_24h AS
    SELECT count FROM counter_sets WHERE win = '24h' AND bots = 'any';
CREATE VIEW IF NOT EXISTS counter_1h AS
    SELECT count FROM counter_sets WHERE win = '1h' AND bots = 'any';
CREATE VIEW IF NOT EXISTS counter_5m AS
    SELECT count FROM counter_sets WHERE win = '5m' AND bots = 'any';
CREATE VIEW IF NOT EXISTS counter_bot_true AS
    SELECT count FROM counter_sets WHERE win = 'all' AND bots = 'true';
CREATE VIEW IF NOT EXISTS counter_bot_true_24h AS
    SELECT count FROM counter_sets WHERE win = '24h' AND bots = 'true';
CREATE VIEW IF NOT EXISTS counter_bot_true_1h AS
    SELECT count FROM counter_sets WHERE win = '1h' AND bots = 'true';
CREATE VIEW IF NOT EXISTS counter_bot_true_5m AS
    SELECT count FROM counter_sets WHERE win = '5m' AND bots = 'true';
CREATE VIEW IF NOT EXISTS counter_bot_false AS
    SELECT count FROM counter_sets WHERE win = 'all' AND bots = 'false';
CREATE VIEW IF NOT EXISTS counter_bot_false_24h AS
    SELECT count FROM counter_sets WHERE win = '24h' AND bots = 'false';
CREATE VIEW IF NOT EXISTS counter_bot_false_1h AS
    SELECT count FROM counter_sets WHERE win = '1h' AND bots = 'false';
CREATE VIEW IF NOT EXISTS counter_bot_false_5m AS
    SELECT count FROM counter_sets WHERE win = '5m' AND bots = 'false';

CREATE VIEW IF NOT EXISTS top10_24h AS
    SELECT "user", count FROM top10_sets WHERE win = '24h' AND bots = 'any';
CREATE VIEW IF NOT EXISTS top10_1h AS
    SELECT "user", count FROM top10_sets WHERE win = '1h' AND bots = 'any';
CREATE VIEW IF NOT EXISTS top10_5m AS
    SELECT "user", count FROM top10_sets WHERE win = '5m' AND bots = 'any';
CREATE VIEW IF NOT EXISTS top10_bot_true AS
    SELECT "user", count FROM top10_sets WHERE win = 'all' AND bots = 'true';
CREATE VIEW IF NOT EXISTS top10_bot_true_24h AS
    SELECT "user", count FROM top10_sets WHERE win = '24h' AND bots = 'true';
CREATE VIEW IF NOT EXISTS top10_bot_true_1h AS
    SELECT "user", count FROM top10_sets WHERE win = '1h' AND bots = 'true';
CREATE VIEW IF NOT EXISTS top10_bot_true_5m AS
    SELECT "user", count FROM top10_sets WHERE win = '5m' AND bots = 'true';
CREATE VIEW IF NOT EXISTS top10_bot_false AS
    SELECT "user", count FROM top10_sets WHERE win = 'all' AND bots = 'false';
CREATE VIEW IF NOT EXISTS top10_bot_false_24h AS
    SELECT "user", count FROM top10_sets WHERE win = '24h' AND bots = 'false';
CREATE VIEW IF NOT EXISTS top10_bot_false_1h AS
    SELECT "user", count FROM top10_sets WHERE win = '1h' AND bots = 'false';
CREATE VIEW IF NOT EXISTS top10_bot_false_5m AS
    SELECT "user", count FROM top10_sets WHERE win = '5m' AND bots = 'false';

CREATE VIEW IF NOT EXISTS top_wikis_24h AS
    SELECT wiki, count FROM top_wikis_sets WHERE win = '24h' AND bots = 'any';
CREATE VIEW IF NOT EXISTS top_wikis_1h AS
    SELECT wiki, count FROM top_wikis_sets WHERE win = '1h' AND bots = 'any';
CREATE VIEW IF NOT EXISTS top_wikis_5m AS
    SELECT wiki, count FROM top_wikis_sets WHERE win = '5m' AND bots = 'any';
CREATE VIEW IF NOT EXISTS top_wikis_bot_true AS
    SELECT wiki, count FROM top_wikis_sets WHERE win = 'all' AND bots = 'true';
CREATE VIEW IF NOT EXISTS top_wikis_bot_true_24h AS
    SELECT wiki, count FROM top_wikis_sets WHERE win = '24h' AND bots = 'true';
CREATE VIEW IF NOT EXISTS top_wikis_bot_true_1h AS
    SELECT wiki, count FROM top_wikis_sets WHERE win = '1h' AND bots = 'true';
CREATE VIEW IF NOT EXISTS top_wikis_bot_true_5m AS
    SELECT wiki, count FROM top_wikis_sets WHERE win = '5m' AND bots = 'true';
CREATE VIEW IF NOT EXISTS top_wikis_bot_false AS
    SELECT wiki, count FROM top_wikis_sets WHERE win = 'all' AND bots = 'false';
CREATE VIEW IF NOT EXISTS top_wikis_bot_false_24h AS
    SELECT wiki, count FROM top_wikis_sets WHERE win = '24h' AND bots = 'false';
CREATE VIEW IF NOT EXISTS top_wikis_bot_false_1h AS
    SELECT wiki, count FROM top_wikis_sets WHERE win = '1h' AND bots = 'false';
CREATE VIEW IF NOT EXISTS top_wikis_bot_false_5m AS
    SELECT wiki, count FROM top_wikis_sets WHERE win = '5m' AND bots = 'false';
