-- +goose Up

-- How many Location entities a source publishes, counted apart from its
-- other entities (entity_count no longer includes them). Existing rows
-- count none until the source's next run writes its status.
ALTER TABLE sources ADD COLUMN location_count INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE sources DROP COLUMN location_count;
