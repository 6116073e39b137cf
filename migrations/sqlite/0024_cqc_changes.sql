-- Issue 16 item 13: what each CQC import changed in the council's market (a change of overall
-- rating, a new service registered in the area, a deregistration), kept for the commissioner to
-- acknowledge. Written in the import's own transaction, after its row in imports. kind is core's
-- CqcChangeKind; rating_from and rating_to are core's ratings (rating changes only); on_date is
-- the report date, registration date or deregistration date the change is dated by.
-- acknowledged_by and acknowledged_at are empty until someone acknowledges it.
CREATE TABLE cqc_changes (
    id TEXT PRIMARY KEY,
    import_id TEXT NOT NULL REFERENCES imports (id),
    service_id TEXT NOT NULL REFERENCES services (id),
    kind TEXT NOT NULL,
    rating_from TEXT,
    rating_to TEXT,
    on_date TEXT,
    found_at TEXT NOT NULL,
    acknowledged_by TEXT REFERENCES users (id),
    acknowledged_at TEXT,
    acknowledgement_note TEXT
);
CREATE INDEX cqc_changes_acknowledged_at ON cqc_changes (acknowledged_at);
CREATE INDEX cqc_changes_service_id ON cqc_changes (service_id);
