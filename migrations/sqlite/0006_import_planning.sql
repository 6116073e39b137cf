-- Issue 14 items 3, 4, 6: imports merge layouts, deregister only from complete files, and say so.

-- The CQC location as last merged from every file imported (JSON of caremarket_core's
-- CqcLocation): a layout that lacks a field keeps the value an earlier file gave.
ALTER TABLE services ADD COLUMN cqc_json TEXT;

-- Whether the officer said the file was complete for its areas ('complete', 'partial'; NULL for
-- imports before this column), and why nothing was deregistered, when that is so.
ALTER TABLE imports ADD COLUMN completeness TEXT;
ALTER TABLE imports ADD COLUMN deregistration_note TEXT;

-- A parsed upload waiting for the officer to confirm the services it would deregister.
CREATE TABLE pending_imports (
    id TEXT PRIMARY KEY,
    user_id TEXT,
    file_name TEXT NOT NULL,
    completeness TEXT NOT NULL,
    created_at TEXT NOT NULL,
    outcome_json TEXT NOT NULL
);
