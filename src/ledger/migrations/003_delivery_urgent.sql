-- Urgent deliveries may interrupt a busy agent whose runtime allows it. (States now:
-- queued → pasting → pasted → delivered, or failed with the reason.)
ALTER TABLE deliveries ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;
