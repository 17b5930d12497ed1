-- What the tail verticle sends on each view's own connection, in this order.
-- {view} is replaced by a name from the fixed table in tail/ServedSets (checked
-- to be a plain identifier), never by anything from a request.
--
-- A TAIL cursor lives in a transaction. PROGRESS adds mz_progressed and rows
-- that close a timestamp, so a batch is known to be complete and a quiet
-- minute is told apart from a stalled Materialize.
BEGIN;

DECLARE c CURSOR FOR TAIL {view} WITH (PROGRESS);

-- Everything ready within a second; an empty result after a quiet second.
-- It blocks the connection meanwhile, hence one connection per view.
FETCH ALL c WITH (timeout='1s');
