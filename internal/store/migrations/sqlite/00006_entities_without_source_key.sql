-- +goose Up

-- PostgreSQL's entities table loses its foreign key to sources at this
-- version (its per-row check was a third of a large commit). SQLite keeps
-- its own: dropping it would mean rebuilding the table, for a check that
-- costs SQLite little. The schema versions of the two dialects stay in
-- step.
UPDATE schema_compatibility SET compatible_from = 4;

-- +goose Down
SELECT 1;
