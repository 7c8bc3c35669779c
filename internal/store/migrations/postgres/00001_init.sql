-- +goose Up

-- One row: the global generation and the tombstone horizon.
CREATE TABLE meta (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    -- Increases by one with every commit that changes entities.
    generation bigint NOT NULL,
    -- Tombstones of every generation above this one are kept: a delta read
    -- since an older generation needs the full list (ErrTooOld).
    tombstones_from bigint NOT NULL
);
INSERT INTO meta (generation, tombstones_from) VALUES (0, 0);

-- Keys use the C collation so that their order is byte order, the same as
-- SQLite's, whatever the database's locale.
CREATE TABLE sources (
    source_id text COLLATE "C" PRIMARY KEY,
    revision text NOT NULL,
    last_attempt_at timestamptz,
    last_success_at timestamptz,
    last_success_revision text NOT NULL,
    consecutive_failures integer NOT NULL,
    next_due_at timestamptz,
    entity_count integer NOT NULL,
    last_run_id bigint NOT NULL
);

CREATE TABLE files (
    source_id text COLLATE "C" NOT NULL REFERENCES sources ON DELETE CASCADE,
    path text COLLATE "C" NOT NULL,
    hash text NOT NULL,
    revision text NOT NULL,
    failed boolean NOT NULL,
    PRIMARY KEY (source_id, path)
);

CREATE TABLE entities (
    source_id text COLLATE "C" NOT NULL REFERENCES sources ON DELETE CASCADE,
    key text COLLATE "C" NOT NULL,
    ref text NOT NULL,
    file text NOT NULL,
    hash text NOT NULL,
    -- json, not jsonb: the body must come back byte for byte (its hash).
    body json NOT NULL,
    generation bigint NOT NULL,
    PRIMARY KEY (source_id, key)
);
CREATE INDEX entities_key ON entities (key, source_id);
CREATE INDEX entities_generation ON entities (generation);

-- Tombstones; no foreign key, they outlive what they remove.
CREATE TABLE removals (
    source_id text COLLATE "C" NOT NULL,
    key text COLLATE "C" NOT NULL,
    ref text NOT NULL,
    generation bigint NOT NULL,
    PRIMARY KEY (source_id, key)
);
CREATE INDEX removals_generation ON removals (generation);

CREATE TABLE runs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_id text COLLATE "C" NOT NULL,
    trigger text NOT NULL,
    started_at timestamptz,
    finished_at timestamptz,
    outcome text NOT NULL,
    revision text NOT NULL,
    previous_revision text NOT NULL,
    counts jsonb NOT NULL,
    errors jsonb NOT NULL,
    reason text NOT NULL,
    generation bigint NOT NULL,
    repeats integer NOT NULL
);
CREATE INDEX runs_source ON runs (source_id, id);

CREATE TABLE acks (
    consumer text COLLATE "C" PRIMARY KEY,
    generation bigint NOT NULL,
    acked_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE acks;
DROP TABLE runs;
DROP TABLE removals;
DROP TABLE entities;
DROP TABLE files;
DROP TABLE sources;
DROP TABLE meta;
