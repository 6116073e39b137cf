-- Evidence files (issue 16 item 18): files attached to quality actions, quality visits, outcome
-- claims and cost of care returns. The file itself is kept under the data directory (evidence/<id>), not in the database;
-- this row says what it is, whose record it belongs to and who sent it.
CREATE TABLE evidence_files (
    id TEXT PRIMARY KEY,
    record_kind TEXT NOT NULL CHECK (record_kind IN ('action', 'visit', 'claim', 'cost_of_care_return')),
    record_id TEXT NOT NULL,
    name TEXT NOT NULL,
    file_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL CHECK (size_bytes > 0),
    sha256 TEXT NOT NULL,
    uploaded_by TEXT,
    uploaded_by_label TEXT NOT NULL,
    uploaded_at TEXT NOT NULL
);
CREATE INDEX evidence_files_record ON evidence_files (record_kind, record_id, uploaded_at);
