-- Events of one kind, newest first (the merge queue's latest landings, without a scan of
-- every event a busy town has written).
CREATE INDEX IF NOT EXISTS events_type ON events(event_type, id);
