-- Quality assurance and early warning (issue 3; domain C2). Same shape on both backends:
-- BIGINT here is BIGINT in PostgreSQL. Dates are ISO text, timestamps RFC 3339 text, flags 0/1.

-- Assessment frameworks are data: a council edits them or loads its own. Starter frameworks
-- are loaded by the store from data/quality/*.csv when the table is empty.
CREATE TABLE qa_frameworks (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- 'standards' (judged Excellent/Good/Requires Improvement/Poor) or 'outcomes' (I statements)
    purpose TEXT NOT NULL,
    -- comma-separated service kinds (core ServiceKind::as_str) it is for; empty = any kind
    applies_to TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL,
    notes TEXT,
    active BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE qa_standards (
    id TEXT PRIMARY KEY,
    framework_id TEXT NOT NULL REFERENCES qa_frameworks (id),
    domain TEXT NOT NULL,
    code TEXT NOT NULL,
    title TEXT NOT NULL,
    guidance TEXT,
    -- 'confirmed', or 'inferred' (say so on screen: PAMMS 11-16 are inferred)
    provenance TEXT NOT NULL DEFAULT 'confirmed',
    position BIGINT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    UNIQUE (framework_id, code)
);

-- Visits and meetings. `activity` is what cadence rules count: 'quality_visit',
-- 'risk_management_meeting', 'performance_meeting', 'escalation_review'.
CREATE TABLE quality_visits (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id),
    activity TEXT NOT NULL,
    -- 'routine' or 'responsive'
    visit_type TEXT NOT NULL,
    announced BIGINT NOT NULL,
    visit_date TEXT NOT NULL,
    officers TEXT NOT NULL,
    -- counts only: no names of people using services are kept
    people_spoken_to BIGINT NOT NULL DEFAULT 0,
    relatives_spoken_to BIGINT NOT NULL DEFAULT 0,
    staff_spoken_to BIGINT NOT NULL DEFAULT 0,
    framework_id TEXT REFERENCES qa_frameworks (id),
    outcomes_framework_id TEXT REFERENCES qa_frameworks (id),
    report TEXT,
    feedback_given_on_day BIGINT NOT NULL DEFAULT 0,
    -- 'draft' or 'final'; actions are raised when a visit is finalised
    status TEXT NOT NULL DEFAULT 'draft',
    recorded_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX quality_visits_service ON quality_visits (service_id, visit_date);
CREATE INDEX quality_visits_date ON quality_visits (visit_date);

-- judgement: 'excellent', 'good', 'requires_improvement', 'poor'
CREATE TABLE quality_visit_scores (
    id TEXT PRIMARY KEY,
    visit_id TEXT NOT NULL REFERENCES quality_visits (id),
    standard_id TEXT NOT NULL REFERENCES qa_standards (id),
    judgement TEXT NOT NULL,
    evidence TEXT,
    UNIQUE (visit_id, standard_id)
);

-- The action plan. status: 'open', 'in_progress', 'submitted' (provider says done),
-- 'accepted' (officer closed it), 'reopened'. officer_note is internal: never shown to providers.
CREATE TABLE quality_actions (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id),
    visit_id TEXT REFERENCES quality_visits (id),
    standard_id TEXT REFERENCES qa_standards (id),
    judgement TEXT,
    title TEXT NOT NULL,
    detail TEXT,
    owner TEXT NOT NULL,
    due_on TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    officer_note TEXT,
    accepted_on TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX quality_actions_service ON quality_actions (service_id, status);
CREATE INDEX quality_actions_due ON quality_actions (status, due_on);

-- Progress, evidence and officer decisions on an action, oldest first.
-- author_kind: 'provider' or 'officer'.
CREATE TABLE quality_action_updates (
    id TEXT PRIMARY KEY,
    action_id TEXT NOT NULL REFERENCES quality_actions (id),
    author_kind TEXT NOT NULL,
    author TEXT NOT NULL,
    note TEXT NOT NULL,
    evidence TEXT,
    status_after TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX quality_action_updates_action ON quality_action_updates (action_id, created_at);

-- RAG status history; the latest row (by set_on, then created_at) is current.
CREATE TABLE quality_rag (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id),
    rag TEXT NOT NULL,
    reason TEXT NOT NULL,
    set_on TEXT NOT NULL,
    set_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX quality_rag_service ON quality_rag (service_id, set_on);

-- Escalation history: level 'none', 'enhanced_monitoring', 'risk_management'.
CREATE TABLE quality_escalations (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id),
    level TEXT NOT NULL,
    reason TEXT NOT NULL,
    set_on TEXT NOT NULL,
    set_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX quality_escalations_service ON quality_escalations (service_id, set_on);

-- Who looks after a service's quality: an officer (user id) and a team.
CREATE TABLE quality_assignments (
    service_id TEXT PRIMARY KEY REFERENCES services (id),
    officer_id TEXT REFERENCES users (id),
    team TEXT,
    updated_at TEXT NOT NULL
);

-- Cadence rules (`000` Provider Visits & Monitoring). applies_to: comma-separated service kinds
-- (empty = any). condition: 'all', 'contracted' (main contract), 'escalated' (any escalation),
-- 'risk_management', 'uninspected' (no CQC rating). activity: which quality_visits.activity
-- satisfies the rule ('any' = any). A service is due when interval_days have passed since the
-- last satisfying activity, and due soon from (interval_days - warn_days).
CREATE TABLE cadence_rules (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    applies_to TEXT NOT NULL DEFAULT '',
    condition TEXT NOT NULL,
    activity TEXT NOT NULL,
    interval_days BIGINT NOT NULL CHECK (interval_days > 0),
    warn_days BIGINT NOT NULL DEFAULT 0 CHECK (warn_days >= 0),
    team TEXT,
    source TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL
);
INSERT INTO cadence_rules (id, code, name, applies_to, condition, activity, interval_days, warn_days, team, source, active, updated_at) VALUES
 ('cadence-annual-care-home', 'annual_care_home', 'Care homes visited at least once a year', 'care_home_residential,care_home_nursing', 'all', 'quality_visit', 365, 30, 'Care homes quality', '000 Provider Visits & Monitoring', 1, '2026-01-01T00:00:00.000000Z'),
 ('cadence-annual-supported-living', 'annual_supported_living', 'Supported living visited at least once a year', 'supported_living,enhanced_supported_living', 'all', 'quality_visit', 365, 30, 'Community quality', '000 Provider Visits & Monitoring', 1, '2026-01-01T00:00:00.000000Z'),
 ('cadence-escalation-14-weeks', 'escalation_review', 'Services in escalation reviewed at least every 14 weeks', '', 'escalated', 'any', 98, 14, NULL, '000 Provider Visits & Monitoring', 1, '2026-01-01T00:00:00.000000Z'),
 ('cadence-risk-management', 'risk_management_meeting', 'Care homes in risk management met every 4 to 6 weeks', 'care_home_residential,care_home_nursing', 'risk_management', 'risk_management_meeting', 42, 14, 'Care homes quality', '000 Provider Visits & Monitoring', 1, '2026-01-01T00:00:00.000000Z'),
 ('cadence-home-care-quarterly', 'home_care_quarterly', 'Home care on the main contract: quarterly performance meeting', 'home_care', 'contracted', 'performance_meeting', 91, 14, 'Community quality', '000 Provider Visits & Monitoring', 1, '2026-01-01T00:00:00.000000Z'),
 ('cadence-uninspected', 'uninspected_visit', 'Services without a CQC rating get a council visit', '', 'uninspected', 'quality_visit', 365, 30, NULL, '004 §4.22', 1, '2026-01-01T00:00:00.000000Z');

-- Signals logged against a service. kind: 'complaint', 'safeguarding', 'notifiable_incident',
-- 'early_indicator', 'whistleblowing', 'rating_change'. For complaints: received_by
-- ('provider'/'council'), outcome, resolved_in_house. For rating changes: rating_from/rating_to.
-- source: 'officer', 'cqc_import', 'monthly_return', 'provider'. summary must not name people.
CREATE TABLE quality_signals (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id),
    kind TEXT NOT NULL,
    occurred_on TEXT NOT NULL,
    summary TEXT NOT NULL,
    received_by TEXT,
    outcome TEXT,
    resolved_in_house BIGINT,
    rating_from TEXT,
    rating_to TEXT,
    source TEXT NOT NULL,
    source_id TEXT,
    recorded_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX quality_signals_service ON quality_signals (service_id, occurred_on);
CREATE INDEX quality_signals_kind ON quality_signals (kind, occurred_on);

-- Provider monthly returns (Stockton's monthly performance dashboard, `002` rec 4).
CREATE TABLE monthly_returns (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id),
    month TEXT NOT NULL,
    complaints BIGINT NOT NULL CHECK (complaints >= 0),
    complaints_via_council BIGINT NOT NULL DEFAULT 0 CHECK (complaints_via_council >= 0),
    complaints_resolved_in_house BIGINT NOT NULL DEFAULT 0 CHECK (complaints_resolved_in_house >= 0),
    staff_in_post BIGINT CHECK (staff_in_post >= 0),
    staff_vacancies BIGINT CHECK (staff_vacancies >= 0),
    staff_leavers BIGINT CHECK (staff_leavers >= 0),
    agency_hours BIGINT CHECK (agency_hours >= 0),
    submitted_by_kind TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (service_id, month)
);

-- CQC report theme analysis (`004` §4.11-4.15). The 19 themes ship here; offers are per council.
CREATE TABLE cqc_themes (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    position BIGINT NOT NULL,
    -- Covid-19 was left out of the training analysis (`004` §4.12)
    in_training_analysis BIGINT NOT NULL DEFAULT 1,
    active BIGINT NOT NULL DEFAULT 1
);
INSERT INTO cqc_themes (id, code, name, position, in_training_analysis, active) VALUES
 ('theme-medication', 'medication', 'Medication', 1, 1, 1),
 ('theme-health-safety', 'health_safety', 'Health & Safety', 2, 1, 1),
 ('theme-nutrition', 'nutrition', 'Nutrition / Eating & Drinking / dietary', 3, 1, 1),
 ('theme-inclusion', 'inclusion', 'Inclusion and person-centred support', 4, 1, 1),
 ('theme-ipc', 'ipc', 'Infection Prevention and Control', 5, 1, 1),
 ('theme-leadership', 'leadership', 'Leadership', 6, 1, 1),
 ('theme-training', 'training', 'Staff training & Development', 7, 1, 1),
 ('theme-care-planning', 'care_planning', 'Assessment / care planning / monitoring & review', 8, 1, 1),
 ('theme-safeguarding', 'safeguarding', 'Safeguarding / Incident & accident management / lessons learnt', 9, 1, 1),
 ('theme-mca', 'mca', 'Mental Capacity Assessments', 10, 1, 1),
 ('theme-staffing', 'staffing', 'Staffing levels / deployment', 11, 1, 1),
 ('theme-moving-handling', 'moving_handling', 'Moving & Handling', 12, 1, 1),
 ('theme-recruitment', 'recruitment', 'Recruitment', 13, 1, 1),
 ('theme-fire', 'fire_safety', 'Fire Safety', 14, 1, 1),
 ('theme-pressure', 'pressure_care', 'Pressure area care', 15, 1, 1),
 ('theme-diabetes', 'diabetes', 'Diabetes', 16, 1, 1),
 ('theme-personal-care', 'personal_care', 'Personal care / Dignity & Control', 17, 1, 1),
 ('theme-end-of-life', 'end_of_life', 'End of Life', 18, 1, 1),
 ('theme-covid', 'covid', 'Covid 19', 19, 0, 1);

-- Training and support offers per theme. status: 'in_place', 'tentative' ("may be able to
-- support"), 'to_be_asked', 'being_revamped', 'withdrawn'. A theme with no 'in_place' offer is a gap.
CREATE TABLE theme_offers (
    id TEXT PRIMARY KEY,
    theme_id TEXT NOT NULL REFERENCES cqc_themes (id),
    offer TEXT NOT NULL,
    offered_by TEXT,
    status TEXT NOT NULL,
    notes TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX theme_offers_theme ON theme_offers (theme_id);

-- One row per issue found in a CQC report, coded to a theme.
CREATE TABLE theme_codings (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id),
    theme_id TEXT NOT NULL REFERENCES cqc_themes (id),
    report_date TEXT NOT NULL,
    issue TEXT NOT NULL,
    coded_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX theme_codings_theme ON theme_codings (theme_id);
CREATE INDEX theme_codings_service ON theme_codings (service_id, report_date);

-- Provider exit plans (issue 5's exit_plans) can be for one service and a closure kind.
ALTER TABLE exit_plans ADD COLUMN service_id TEXT REFERENCES services (id);
