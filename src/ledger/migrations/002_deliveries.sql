-- Text delivered into agents (nudges, mail notifications, chat): a durable queue with the
-- state of every message, so nothing typed at an agent is lost or silently dropped.
CREATE TABLE deliveries (
    id          INTEGER PRIMARY KEY,
    agent       TEXT NOT NULL,
    sender      TEXT NOT NULL,
    text        TEXT NOT NULL,
    -- queued → pasted → submitted → delivered, or failed (with reason)
    state       TEXT NOT NULL,
    reason      TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX deliveries_agent_state ON deliveries(agent, state, id);
