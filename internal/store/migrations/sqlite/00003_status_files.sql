-- +goose Up

-- The status page reads how many files of a source fail, and which run's
-- errors are its current file problems, from the source's row instead of
-- every file and the run history. Commit sets both; existing rows get
-- them from the files and runs they already have.
ALTER TABLE sources ADD COLUMN failed_files INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN files_run_id INTEGER NOT NULL DEFAULT 0;
UPDATE sources SET
    failed_files = (SELECT count(*) FROM files WHERE files.source_id = sources.source_id AND failed = 1),
    files_run_id = COALESCE((SELECT max(id) FROM runs
        WHERE runs.source_id = sources.source_id AND runs.outcome IN ('succeeded', 'degraded')), 0);

-- +goose Down
ALTER TABLE sources DROP COLUMN files_run_id;
ALTER TABLE sources DROP COLUMN failed_files;
