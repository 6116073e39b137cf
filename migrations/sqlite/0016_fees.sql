-- Fees (issue 11 items 1 and 2; domain C7): rate versions (never overwritten), uplifts, each
-- contract's payment basis, and providers' requests for fee increases. Not `provider_fees`,
-- which holds the fees gathered for the direct payments rate tool (issue 5).

CREATE TABLE fee_uplifts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    categories TEXT NOT NULL DEFAULT '',
    levels TEXT NOT NULL DEFAULT '',
    lots TEXT NOT NULL DEFAULT '',
    method TEXT NOT NULL,
    method_value INTEGER NOT NULL,
    effective_from TEXT NOT NULL,
    base_date TEXT NOT NULL,
    rates_changed INTEGER NOT NULL,
    yearly_cost_pence INTEGER NOT NULL,
    created_by TEXT,
    created_by_label TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE fee_rates (
    id TEXT PRIMARY KEY,
    level TEXT NOT NULL,
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    lot_id TEXT REFERENCES framework_lots (id),
    provider_id TEXT REFERENCES providers (id),
    amount_pence INTEGER NOT NULL CHECK (amount_pence > 0),
    effective_from TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    uplift_id TEXT REFERENCES fee_uplifts (id),
    created_by TEXT,
    created_by_label TEXT NOT NULL,
    created_at TEXT NOT NULL,
    decided_by_label TEXT,
    decided_at TEXT
);
CREATE INDEX fee_rates_line ON fee_rates (kind, level, provider_id, effective_from);
CREATE INDEX fee_rates_lot ON fee_rates (lot_id);

CREATE TABLE fee_payment_bases (
    id TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    kind TEXT NOT NULL,
    pay_on TEXT NOT NULL,
    minimum_call_minutes INTEGER,
    second_carer TEXT NOT NULL,
    second_carer_share_bp INTEGER,
    effective_from TEXT NOT NULL,
    created_by_label TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX fee_payment_bases_provider ON fee_payment_bases (provider_id, kind, effective_from);

CREATE TABLE fee_requests (
    id TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    kind TEXT NOT NULL,
    category TEXT NOT NULL,
    current_pence INTEGER,
    requested_pence INTEGER NOT NULL CHECK (requested_pence > 0),
    received_on TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    decided_on TEXT,
    decision_reason TEXT,
    agreed_pence INTEGER,
    agreed_from TEXT,
    rate_id TEXT REFERENCES fee_rates (id),
    decided_by_label TEXT,
    created_by_label TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX fee_requests_status ON fee_requests (status, received_on);
