-- Issue 16 item 17: PA checks before listing. A personal assistant is offered to employers only
-- when the council's required checks are complete and in date (the rule is
-- caremarket_core::direct_payments::pa_checks::listable). The DBS check, references and
-- training an officer records live in their own tables; pa_entries.dbs_status and dbs_date stay
-- as what the registrant told us. pa_entries.version guards the checks form against lost updates.
ALTER TABLE pa_entries ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

CREATE TABLE pa_dbs_checks (
    entry_id TEXT PRIMARY KEY REFERENCES pa_entries (id),
    dbs_type TEXT NOT NULL,
    certificate_number TEXT,
    issued_on TEXT,
    update_service INTEGER NOT NULL DEFAULT 0,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);

-- Only who the referee is to the PA is kept (a relationship code), never the referee's name or
-- contact details.
CREATE TABLE pa_references (
    entry_id TEXT NOT NULL REFERENCES pa_entries (id),
    position INTEGER NOT NULL,
    relationship TEXT,
    received_on TEXT,
    checked_on TEXT,
    checked_by TEXT,
    PRIMARY KEY (entry_id, position)
);

CREATE TABLE pa_training (
    entry_id TEXT NOT NULL REFERENCES pa_entries (id),
    course TEXT NOT NULL,
    completed_on TEXT NOT NULL,
    PRIMARY KEY (entry_id, course)
);

-- The courses the council records and which it requires, each with how many months a
-- completion counts (NULL: it does not expire). Data, not code: a council edits these rows.
CREATE TABLE pa_training_courses (
    code TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    required INTEGER NOT NULL DEFAULT 0,
    valid_months INTEGER,
    position INTEGER NOT NULL
);
INSERT INTO pa_training_courses (code, label, required, valid_months, position) VALUES
    ('care_certificate', 'Care Certificate', 1, NULL, 1),
    ('safeguarding_adults', 'Safeguarding adults', 1, 36, 2),
    ('moving_handling', 'Moving and handling', 1, 12, 3),
    ('first_aid', 'First aid', 0, 36, 4),
    ('medication', 'Medication', 0, 12, 5);

-- The DBS and reference rules are settings (defaults in code when absent).
INSERT INTO settings (key, value) VALUES
    ('pa_checks_dbs_type', 'enhanced_barred_adults'),
    ('pa_checks_dbs_valid_months', '36'),
    ('pa_checks_update_service_keeps_current', '1'),
    ('pa_checks_references', '2');

-- What the register held before: an "enhanced" or "update service" status with a date becomes an
-- enhanced DBS check issued that day, with no certificate number (the officer adds it; until
-- then the check reads "No certificate number" and the PA is not listed).
INSERT INTO pa_dbs_checks (entry_id, dbs_type, certificate_number, issued_on, update_service, recorded_by, recorded_at)
    SELECT id, 'enhanced', NULL, dbs_date, CASE WHEN dbs_status = 'update_service' THEN 1 ELSE 0 END,
           'Migration 0025 (from the registration''s DBS status)', created_at
    FROM pa_entries WHERE kind = 'pa' AND dbs_status IN ('enhanced', 'update_service') AND dbs_date IS NOT NULL;
