-- +goose Up

-- Times are microseconds since the Unix epoch (PostgreSQL's precision),
-- NULL for none.

-- One row: the global generation and the tombstone horizon.
CREATE TABLE meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    -- Increases by one with every commit that changes entities.
    generation INTEGER NOT NULL,
    -- Tombstones of every generation above this one are kept: a delta read
    -- since an older generation needs the full list (ErrTooOld).
    tombstones_from INTEGER NOT NULL
);
INSERT INTO meta (id, generation, tombstones_from) VALUES (1, 0, 0);

CREATE TABLE sources (
    source_id TEXT PRIMARY KEY,
    revision TEXT NOT NULL,
    last_attempt_at INTEGER,
    last_success_at INTEGER,
    last_success_revision TEXT NOT NULL,
    consecutive_failures INTEGER NOT NULL,
    next_due_at INTEGER,
    entity_count INTEGER NOT NULL,
    last_run_id INTEGER NOT NULL
);

CREATE TABLE files (
    source_id TEXT NOT NULL REFERENCES sources ON DELETE CASCADE,
    path TEXT NOT NULL,
    hash TEXT NOT NULL,
    revision TEXT NOT NULL,
    failed INTEGER NOT NULL,
    PRIMARY KEY (source_id, path)
);

CREATE TABLE entities (
    source_id TEXT NOT NULL REFERENCES sources ON DELETE CASCADE,
    key TEXT NOT NULL,
    ref TEXT NOT NULL,
    file TEXT NOT NULL,
    hash TEXT NOT NULL,
    body BLOB NOT NULL,
    generation INTEGER NOT NULL,
    PRIMARY KEY (source_id, key)
);
CREATE INDEX entities_key ON entities (key, source_id);
CREATE INDEX entities_generation ON entities (generation);

-- Tombstones; no foreign key, they outlive what they remove.
CREATE TABLE removals (
    source_id TEXT NOT NULL,
    key TEXT NOT NULL,
    ref TEXT NOT NULL,
    generation INTEGER NOT NULL,
    PRIMARY KEY (source_id, key)
);
CREATE INDEX removals_generation ON removals (generation);

-- AUTOINCREMENT: ids of pruned runs are never reused.
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id TEXT NOT NULL,
    trigger TEXT NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    outcome TEXT NOT NULL,
    revision TEXT NOT NULL,
    previous_revision TEXT NOT NULL,
    counts TEXT NOT NULL,
    errors TEXT NOT NULL,
    reason TEXT NOT NULL,
    generation INTEGER NOT NULL,
    repeats INTEGER NOT NULL
);
CREATE INDEX runs_source ON runs (source_id, id);

CREATE TABLE acks (
    consumer TEXT PRIMARY KEY,
    generation INTEGER NOT NULL,
    acked_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE acks;
DROP TABLE runs;
DROP TABLE removals;
DROP TABLE entities;
DROP TABLE files;
DROP TABLE sources;
DROP TABLE meta;
