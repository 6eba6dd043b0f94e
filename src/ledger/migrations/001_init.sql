-- The bead ledger. Column names follow bd's issue fields so both bd dialects map 1:1.
-- Text columns keep NULL distinct from '' so an import is lossless.

CREATE TABLE beads (
    id                   TEXT PRIMARY KEY NOT NULL,
    prefix               TEXT NOT NULL,
    title                TEXT NOT NULL,
    status               TEXT NOT NULL DEFAULT 'open',
    priority             INTEGER NOT NULL DEFAULT 2,
    issue_type           TEXT NOT NULL DEFAULT 'task',
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    description          TEXT,
    design               TEXT,
    acceptance_criteria  TEXT,
    notes                TEXT,
    spec_id              TEXT,
    assignee             TEXT,
    owner                TEXT,
    created_by           TEXT,
    started_at           TEXT,
    closed_at            TEXT,
    close_reason         TEXT,
    closed_by_session    TEXT,
    lease_expires_at     TEXT,
    heartbeat_at         TEXT,
    due_at               TEXT,
    defer_until          TEXT,
    external_ref         TEXT,
    source_system        TEXT,
    source_repo          TEXT,
    metadata             TEXT,
    compacted_at         TEXT,
    compacted_at_commit  TEXT,
    sender               TEXT,
    wisp_type            TEXT,
    await_type           TEXT,
    await_id             TEXT,
    waiters              TEXT,
    source_formula       TEXT,
    source_location      TEXT,
    mol_type             TEXT,
    work_type            TEXT,
    event_kind           TEXT,
    actor                TEXT,
    target               TEXT,
    payload              TEXT,
    hook_bead            TEXT,
    role_bead            TEXT,
    role_type            TEXT,
    agent_state          TEXT,
    rig                  TEXT,
    content_hash         TEXT,
    last_activity        TEXT,
    estimated_minutes    INTEGER,
    compaction_level     INTEGER,
    original_size        INTEGER,
    timeout_ns           INTEGER,
    crystallizes         INTEGER,
    pinned               INTEGER NOT NULL DEFAULT 0,
    ephemeral            INTEGER NOT NULL DEFAULT 0,
    is_template          INTEGER NOT NULL DEFAULT 0,
    no_history           INTEGER NOT NULL DEFAULT 0,
    quality_score        REAL,
    extra                TEXT
);

-- Covers every column of a list row, so `ready` and `list` read only this index (dense)
-- instead of visiting each bead's row (with its long text) in the table.
CREATE INDEX beads_status ON beads(
    status, priority, created_at, id, issue_type, pinned, ephemeral, is_template, prefix,
    defer_until, assignee, updated_at, closed_at, title
);
CREATE INDEX beads_assignee_status ON beads(assignee, status);
CREATE INDEX beads_type_status ON beads(issue_type, status);

-- issue_id depends on depends_on_id; kind is free text; depends_on_id may name a bead that
-- is not in the ledger (bd exports routinely reference beads of other databases).
CREATE TABLE deps (
    issue_id       TEXT NOT NULL,
    depends_on_id  TEXT NOT NULL,
    type           TEXT NOT NULL DEFAULT 'blocks',
    created_at     TEXT,
    created_by     TEXT,
    extra          TEXT,
    -- 1 while the target is in the ledger and unfinished; kept current by every write of
    -- the target, so "what is blocked" is one index scan instead of a lookup per edge.
    target_open    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (issue_id, depends_on_id, type)
);
CREATE INDEX deps_target ON deps(depends_on_id, type);
CREATE INDEX deps_open ON deps(target_open, type, issue_id);

CREATE TABLE labels (
    issue_id  TEXT NOT NULL,
    label     TEXT NOT NULL,
    UNIQUE (issue_id, label)
);
CREATE INDEX labels_label ON labels(label);

CREATE TABLE comments (
    id          INTEGER PRIMARY KEY,
    issue_id    TEXT NOT NULL,
    author      TEXT,
    text        TEXT NOT NULL,
    created_at  TEXT,
    extra       TEXT
);
CREATE INDEX comments_issue ON comments(issue_id, id);

-- One row per mutation (and every event imported from bd). issue_id is NULL for town-level
-- events such as a rig being added.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    issue_id    TEXT,
    event_type  TEXT NOT NULL,
    actor       TEXT,
    old_value   TEXT,
    new_value   TEXT,
    comment     TEXT,
    created_at  TEXT NOT NULL,
    extra       TEXT
);
CREATE INDEX events_issue ON events(issue_id, id);

-- bd's key/value config (kept on import).
CREATE TABLE config (
    key    TEXT PRIMARY KEY NOT NULL,
    value  TEXT
);

-- Beads changed since .beads/issues.jsonl was last brought up to date. Written in the same
-- transaction as the change, so a crash between commit and export loses nothing.
CREATE TABLE export_dirty (
    id  TEXT PRIMARY KEY NOT NULL
);
