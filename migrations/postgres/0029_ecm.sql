-- Home care: planned visits against electronic call monitoring (issue 11 item 7; domain C7).
-- An import reconciles a planned visits file and an ECM export by the rules of
-- crates/core/src/ecm (docs/ecm.md) and keeps: the figures per provider and period exactly as
-- the rules give them, every planned visit with what the rules made of it, every faulty ECM row,
-- and the provider's queries of a visit with the officer's decision. People are held by case
-- reference and care workers by their ECM code, never by name. All numbers are BIGINT so the
-- same Rust types read both databases.

CREATE TABLE ecm_imports (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    stage TEXT NOT NULL,
    progress_percent BIGINT NOT NULL DEFAULT 0,
    error TEXT,
    planned_file TEXT NOT NULL,
    actual_file TEXT NOT NULL,
    periods_from TEXT NOT NULL,
    period_days BIGINT NOT NULL,
    planned_visits BIGINT NOT NULL DEFAULT 0,
    actual_rows BIGINT NOT NULL DEFAULT 0,
    created_by TEXT,
    created_by_label TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT
);

CREATE TABLE ecm_figures (
    import_id TEXT NOT NULL REFERENCES ecm_imports (id),
    provider_id TEXT NOT NULL REFERENCES providers (id),
    file_provider TEXT NOT NULL,
    period_start TEXT NOT NULL,
    planned_visits BIGINT NOT NULL,
    planned_carer_minutes BIGINT NOT NULL,
    delivered_visits BIGINT NOT NULL,
    delivered_carer_minutes BIGINT NOT NULL,
    missed_visits BIGINT NOT NULL,
    short_visits BIGINT NOT NULL,
    late_visits BIGINT NOT NULL,
    early_visits BIGINT NOT NULL,
    unplanned_extras BIGINT NOT NULL,
    unplanned_minutes BIGINT NOT NULL,
    invoiced_pence BIGINT NOT NULL,
    payable_pence BIGINT NOT NULL,
    bad_end_before_start BIGINT NOT NULL,
    duplicate_rows BIGINT NOT NULL,
    repeat_visit_rows BIGINT NOT NULL,
    unknown_visit_rows BIGINT NOT NULL,
    PRIMARY KEY (import_id, file_provider, period_start)
);
CREATE INDEX ecm_figures_provider ON ecm_figures (provider_id, period_start);

CREATE TABLE ecm_visits (
    import_id TEXT NOT NULL REFERENCES ecm_imports (id),
    visit_id BIGINT NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    period_start TEXT NOT NULL,
    person_ref TEXT NOT NULL,
    planned_start TEXT NOT NULL,
    planned_minutes BIGINT NOT NULL,
    carers BIGINT NOT NULL,
    rate_pence BIGINT NOT NULL,
    actual_start TEXT,
    actual_end TEXT,
    actual_minutes BIGINT NOT NULL,
    paid_minutes BIGINT NOT NULL,
    short BIGINT NOT NULL,
    late BIGINT NOT NULL,
    early BIGINT NOT NULL,
    invoiced_pence BIGINT NOT NULL,
    payable_pence BIGINT NOT NULL,
    care_worker_ref TEXT,
    PRIMARY KEY (import_id, visit_id)
);
CREATE INDEX ecm_visits_provider ON ecm_visits (import_id, provider_id, period_start);

CREATE TABLE ecm_faults (
    import_id TEXT NOT NULL REFERENCES ecm_imports (id),
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    visit_id BIGINT,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    period_start TEXT NOT NULL,
    person_ref TEXT NOT NULL,
    actual_start TEXT NOT NULL,
    actual_end TEXT NOT NULL,
    PRIMARY KEY (import_id, seq)
);
CREATE INDEX ecm_faults_provider ON ecm_faults (import_id, provider_id, period_start);

CREATE TABLE ecm_queries (
    id TEXT PRIMARY KEY,
    import_id TEXT NOT NULL REFERENCES ecm_imports (id),
    visit_id BIGINT NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    reason TEXT NOT NULL,
    claimed_minutes BIGINT,
    status TEXT NOT NULL,
    raised_by TEXT,
    raised_by_label TEXT NOT NULL,
    raised_at TEXT NOT NULL,
    decided_by TEXT,
    decided_by_label TEXT,
    decided_at TEXT,
    decision_note TEXT,
    paid_minutes_before BIGINT,
    paid_minutes_after BIGINT,
    payable_before BIGINT,
    payable_after BIGINT
);
CREATE INDEX ecm_queries_visit ON ecm_queries (import_id, visit_id);
CREATE INDEX ecm_queries_provider ON ecm_queries (provider_id, status);
