-- Mail no longer goes into .beads/issues.jsonl unless the town opts in (ledger.export_mail):
-- the next export rewrites the whole file, which drops the mail lines earlier builds wrote.
INSERT OR IGNORE INTO export_dirty (id) VALUES ('*');
