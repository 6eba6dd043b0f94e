-- When an urgent delivery interrupted its busy agent (once per message, whoever delivers it).
ALTER TABLE deliveries ADD COLUMN interrupted_at TEXT;
