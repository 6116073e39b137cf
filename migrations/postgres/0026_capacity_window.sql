-- Issue 16 item 15: care home returns as the NHS Capacity Tracker runs them.
-- A home closed to admissions (recorded by its provider in the portal or by an officer) takes no
-- new placements from closed_on until reopened_on (exclusive); expected_reopening is what the
-- home said, not a reopening. Rows are never deleted: reopening sets reopened_on.
CREATE TABLE admission_closures (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id),
    reason TEXT NOT NULL,
    note TEXT,
    closed_on TEXT NOT NULL,
    expected_reopening TEXT,
    reopened_on TEXT,
    source TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    reopened_by TEXT
);
CREATE INDEX admission_closures_service ON admission_closures (service_id);

-- A provider chased for a week's missing vacancy return: when, by whom, and how many of its
-- portal users were emailed (0 when it has none: the officer then phones).
CREATE TABLE return_chases (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id),
    window_opens TEXT NOT NULL,
    chased_at TEXT NOT NULL,
    chased_by TEXT NOT NULL,
    emailed BIGINT NOT NULL,
    note TEXT
);
CREATE INDEX return_chases_window ON return_chases (window_opens, service_id);
