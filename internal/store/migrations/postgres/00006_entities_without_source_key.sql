-- +goose Up

-- The entities table loses its foreign key to sources. The key was checked
-- row by row, which cost a full sync of 100k entities (COPY) 0.55-1.0 s of
-- its commit, a third of it, and guarded nothing: the commit writes the
-- source's row in the same transaction before its entities, and no engine
-- deletes a source's row (so the cascade never ran).
ALTER TABLE entities DROP CONSTRAINT entities_source_id_fkey;
-- An engine at version 4 or 5 keeps running against this schema: it
-- writes the source's row first too, and deletes no source.
UPDATE schema_compatibility SET compatible_from = 4;

-- +goose Down
ALTER TABLE entities ADD CONSTRAINT entities_source_id_fkey
    FOREIGN KEY (source_id) REFERENCES sources ON DELETE CASCADE;
