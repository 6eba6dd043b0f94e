-- The account (of several per runtime) a session runs on, and the model its transcript
-- last named (a transcript read a chunk at a time may give a model in an earlier chunk).
ALTER TABLE sessions ADD COLUMN account TEXT;
ALTER TABLE sessions ADD COLUMN model TEXT;
