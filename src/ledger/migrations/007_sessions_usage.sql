-- Agent sessions as their runtimes name them, and the tokens they used (read from the
-- runtimes' transcripts, a little at a time: read_offset is how far a transcript was read).
CREATE TABLE sessions (
    id            TEXT PRIMARY KEY NOT NULL,   -- the runtime's own session id
    agent         TEXT NOT NULL,               -- the agent's address
    rig           TEXT,
    role          TEXT,
    runtime       TEXT,
    bead          TEXT,                        -- the work on its hook when it started
    transcript    TEXT,
    read_offset   INTEGER NOT NULL DEFAULT 0,
    last_message  TEXT,
    started_at    TEXT NOT NULL,
    ended_at      TEXT,
    end_reason    TEXT
);
CREATE INDEX sessions_agent ON sessions(agent, started_at);
CREATE INDEX sessions_bead ON sessions(bead, started_at);
CREATE INDEX sessions_ended ON sessions(ended_at);

-- Usage summed per session, day (UTC), model and the bead worked on when it was read.
CREATE TABLE usage (
    session_id   TEXT NOT NULL,
    day          TEXT NOT NULL,
    model        TEXT NOT NULL,
    bead         TEXT NOT NULL DEFAULT '',
    turns        INTEGER NOT NULL DEFAULT 0,
    input        INTEGER NOT NULL DEFAULT 0,
    output       INTEGER NOT NULL DEFAULT 0,
    cache_write  INTEGER NOT NULL DEFAULT 0,
    cache_read   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, day, model, bead)
);
CREATE INDEX usage_day ON usage(day);

-- Model answers already counted: a resumed conversation's transcript repeats its history.
CREATE TABLE usage_seen (message_id TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;
