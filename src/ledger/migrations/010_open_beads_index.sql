-- Lists and `ready` read only unfinished beads. Indexing only those keeps the covering index
-- at the size of the town's open work, however many closed beads the ledger holds (a
-- million-bead ledger is 99% closed). Queries that want it repeat its condition literally,
-- which is how SQLite knows a partial index applies.
DROP INDEX IF EXISTS beads_status;
CREATE INDEX IF NOT EXISTS beads_open ON beads(
    status, priority, created_at, id, issue_type, pinned, ephemeral, is_template, prefix,
    defer_until, assignee, updated_at, closed_at, title
) WHERE status NOT IN ('closed', 'tombstone');
