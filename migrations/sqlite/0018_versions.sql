-- Issue 17 item 6: lost updates. Each record an officer edits through a form or the API carries
-- a version, raised by one on every save of its editable fields; a save names the version it was
-- opened at and is refused when the record has moved on (decision 25).
ALTER TABLE services ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE providers ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE qa_standards ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE quality_visits ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
