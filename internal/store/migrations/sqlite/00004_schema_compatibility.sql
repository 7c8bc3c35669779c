-- +goose Up

-- The oldest schema version an engine may know and still run against this
-- database: an engine that finds a schema newer than it knows stays
-- ready when its own version is at least compatible_from (see
-- migrations.Up). Every migration from this one on sets it, in its own
-- transaction, with the statement
--   UPDATE schema_compatibility SET compatible_from = N;
-- N is the oldest engine version whose writes keep this migration's data
-- correct (an added column it does not write must not go stale), never
-- less than the previous migration's N. Migrations 00002 and 00003 were
-- not compatible with older engines (those would leave location_count,
-- failed_files and files_run_id stale), so none before 00004 is.
CREATE TABLE schema_compatibility (compatible_from bigint NOT NULL);
INSERT INTO schema_compatibility (compatible_from) VALUES (0);
-- This migration only adds the table, which engines at version 3 never
-- read (they refuse any newer schema regardless).
UPDATE schema_compatibility SET compatible_from = 3;

-- +goose Down
DROP TABLE schema_compatibility;
