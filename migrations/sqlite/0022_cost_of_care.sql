-- Cost of care returns (issue 11 item 4; domain C7): one return per service and financial year
-- (the year it starts in: 2025 is 2025/26), its lines in pence. Resubmitting replaces the
-- return's lines (the audit keeps the earlier figures).

CREATE TABLE cost_of_care_returns (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id),
    provider_id TEXT NOT NULL REFERENCES providers (id),
    kind TEXT NOT NULL,
    year INTEGER NOT NULL,
    total_pence INTEGER NOT NULL CHECK (total_pence >= 0),
    sent_by TEXT NOT NULL,
    created_by TEXT,
    created_by_label TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    UNIQUE (service_id, year)
);
CREATE INDEX cost_of_care_returns_year ON cost_of_care_returns (year, kind);
CREATE INDEX cost_of_care_returns_provider ON cost_of_care_returns (provider_id);

CREATE TABLE cost_of_care_lines (
    return_id TEXT NOT NULL REFERENCES cost_of_care_returns (id) ON DELETE CASCADE,
    line TEXT NOT NULL,
    amount_pence INTEGER NOT NULL CHECK (amount_pence >= 0),
    PRIMARY KEY (return_id, line)
);
