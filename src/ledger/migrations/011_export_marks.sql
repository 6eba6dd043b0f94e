-- Each mark of a changed bead gets a number never used again, so the exporter can write the
-- file outside the write lock and then clear only the marks it wrote: a bead changed again
-- meanwhile keeps its (newer) mark.
CREATE TABLE export_marks (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    id   TEXT NOT NULL UNIQUE
);
INSERT INTO export_marks (id) SELECT id FROM export_dirty ORDER BY id;
DROP TABLE export_dirty;
