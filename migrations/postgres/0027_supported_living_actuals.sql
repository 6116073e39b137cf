-- Supported living actuals (issue 11 item 5; domain C7; decision 36). Commissioned hours are the
-- council's record, per provider and person (case reference only, never a name), versioned like
-- rates: a change is a new row from a date, never an update. Providers return delivered minutes
-- per person and calendar month ('2025-04'); a resubmission replaces the month's lines (the audit
-- keeps the earlier figures). A flagged month's challenge keeps every step. One-off payments and
-- historical reconciliations are recorded against the provider (negative: money back).

CREATE TABLE sl_commissions (
    id TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    case_ref TEXT NOT NULL,
    weekly_minutes BIGINT NOT NULL CHECK (weekly_minutes >= 0),
    rate_category TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    created_by_label TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (provider_id, case_ref, effective_from)
);

CREATE TABLE sl_returns (
    id TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    period TEXT NOT NULL,
    sent_by TEXT NOT NULL,
    created_by TEXT,
    created_by_label TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    UNIQUE (provider_id, period)
);
CREATE INDEX sl_returns_period ON sl_returns (period);

CREATE TABLE sl_return_lines (
    return_id TEXT NOT NULL REFERENCES sl_returns (id) ON DELETE CASCADE,
    case_ref TEXT NOT NULL,
    delivered_minutes BIGINT NOT NULL CHECK (delivered_minutes >= 0),
    PRIMARY KEY (return_id, case_ref)
);

CREATE TABLE sl_queries (
    id TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    period TEXT NOT NULL,
    status TEXT NOT NULL,
    recovered_pence BIGINT,
    opened_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (provider_id, period)
);

CREATE TABLE sl_query_steps (
    id TEXT PRIMARY KEY,
    query_id TEXT NOT NULL REFERENCES sl_queries (id),
    position BIGINT NOT NULL,
    step TEXT NOT NULL,
    note TEXT,
    amount_pence BIGINT,
    taken_on TEXT NOT NULL,
    taken_by TEXT,
    taken_by_label TEXT NOT NULL,
    taken_at TEXT NOT NULL,
    UNIQUE (query_id, position)
);

CREATE TABLE sl_payments (
    id TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    kind TEXT NOT NULL,
    amount_pence BIGINT NOT NULL CHECK (amount_pence <> 0),
    paid_on TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_by_label TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX sl_payments_provider ON sl_payments (provider_id, paid_on);
