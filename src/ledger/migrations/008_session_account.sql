-- The account (of several per runtime) a session runs on.
ALTER TABLE sessions ADD COLUMN account TEXT;
