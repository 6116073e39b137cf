-- The provider's fact-check of a visit report, as PAMMS runs it (issue 16 item 14, decision 42).
-- Finalising a visit sends its report to the provider as a draft: the provider has 14 days
-- (check_ends_on) to send factual corrections; the officer accepts or declines each and publishes;
-- a Requires Improvement or Poor overall result needs the provider's action plan within 14 days of
-- publication. Visits finalised before this migration have no row: they are not fact-checked.
CREATE TABLE quality_visit_reports (
    visit_id TEXT PRIMARY KEY REFERENCES quality_visits (id),
    sent_on TEXT NOT NULL,
    check_ends_on TEXT NOT NULL,
    -- the worst judgement of the visit when it was finalised; NULL when nothing was scored
    overall TEXT,
    published_on TEXT,
    published_by TEXT,
    action_plan_due_on TEXT,
    action_plan TEXT,
    action_plan_sent_on TEXT,
    action_plan_sent_by TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX quality_visit_reports_published ON quality_visit_reports (published_on);

-- One factual correction the provider sent: about the written report ('report') or one standard.
CREATE TABLE quality_visit_corrections (
    id TEXT PRIMARY KEY,
    visit_id TEXT NOT NULL REFERENCES quality_visits (id),
    part TEXT NOT NULL,
    part_label TEXT NOT NULL,
    correction TEXT NOT NULL,
    sent_by TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    -- 'accepted' or 'declined'; NULL while waiting for the officer
    decision TEXT,
    reason TEXT,
    decided_by TEXT,
    decided_at TEXT
);
CREATE INDEX quality_visit_corrections_visit ON quality_visit_corrections (visit_id);

-- A re-visit about six months after a Requires Improvement or Poor result.
INSERT INTO cadence_rules (id, code, name, applies_to, condition, activity, interval_days, warn_days, team, source, active, updated_at) VALUES
 ('cadence-revisit-requires-improvement', 'revisit_requires_improvement', 'Re-visit about 6 months after a Requires Improvement or Poor result', '', 'last_visit_requires_improvement', 'quality_visit', 182, 30, NULL, 'PAMMS (issue 16 item 14)', 1, '2026-01-01T00:00:00.000000Z');
