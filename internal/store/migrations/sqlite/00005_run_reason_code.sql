-- +goose Up

-- A run's reason as a code (store.ReasonCode) next to its words, so that
-- clients match on the code, not on the message. Runs recorded before get
-- it from their words where those tell it (the messages the engine wrote
-- then, see docs/api.md); a failed run whose words fit none gets
-- 'unknown'; a run without a reason keeps none.
ALTER TABLE runs ADD COLUMN reason_code TEXT NOT NULL DEFAULT '';
UPDATE runs SET reason_code = CASE
    WHEN outcome = 'abandoned' THEN 'abandoned'
    WHEN reason LIKE '%timed out (the run''s timeout%' THEN 'timeout'
    WHEN reason LIKE '%cancelled (the engine is stopping)%' THEN 'canceled'
    WHEN reason LIKE 'fetch failed: %' THEN 'fetch-failed'
    WHEN reason LIKE 'refused: this revision would remove %' THEN 'guard-refused'
    WHEN reason = 'another engine replica is syncing this source' THEN 'locked'
    WHEN reason LIKE 'store commit failed: entity spool %' THEN 'spool-failed'
    WHEN reason LIKE 'store commit failed: % already published by another source, again and again%' THEN 'source-conflict'
    WHEN reason LIKE 'store unavailable: %' OR reason LIKE 'store commit failed: %' THEN 'store-unavailable'
    ELSE 'unknown'
END
WHERE reason <> '' OR outcome = 'abandoned';
-- An engine at version 4 keeps running against this schema: the runs it
-- writes get the column's default, no code, which the store reads as
-- 'unknown' when the run has a reason; nothing it writes goes stale.
UPDATE schema_compatibility SET compatible_from = 4;

-- +goose Down
ALTER TABLE runs DROP COLUMN reason_code;
