-- Care home fees (issue 11 item 3; domain C7): weekly fees per care home and bed type (versions,
-- never overwritten), the NHS Funded Nursing Care weekly rate (versions), and placements held by
-- case reference only, with the funding basis, the person's assessed contribution where the
-- council pays net, and any third-party top-up (who pays it as a relationship, never a name).
-- Separate from `placements` (out-of-area placements): see docs/decisions.md.

CREATE TABLE care_home_fees (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id),
    bed_type TEXT NOT NULL,
    weekly_pence BIGINT NOT NULL CHECK (weekly_pence > 0),
    effective_from TEXT NOT NULL,
    created_by TEXT,
    created_by_label TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (service_id, bed_type, effective_from)
);

CREATE TABLE fnc_rates (
    id TEXT PRIMARY KEY,
    weekly_pence BIGINT NOT NULL CHECK (weekly_pence > 0),
    effective_from TEXT NOT NULL UNIQUE,
    source TEXT,
    created_by_label TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE care_home_placements (
    id TEXT PRIMARY KEY,
    case_ref TEXT NOT NULL,
    service_id TEXT NOT NULL REFERENCES services (id),
    bed_type TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    funding TEXT NOT NULL,
    contribution_pence BIGINT NOT NULL DEFAULT 0 CHECK (contribution_pence >= 0),
    top_up_pence BIGINT NOT NULL DEFAULT 0 CHECK (top_up_pence >= 0),
    top_up_payer TEXT,
    created_by_label TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX care_home_placements_service ON care_home_placements (service_id, start_date);
