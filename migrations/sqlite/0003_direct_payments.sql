-- Direct payments, monitoring and reclaims, money management companies (the Recognised
-- Provider List) and exit plans, Individual Service Funds, the PA register and the rate tools
-- (issue 5; domain C5, C6). Same shape on both backends: INTEGER here is BIGINT in PostgreSQL.
-- Money is integer pence; percentages basis points; dates ISO text; flags 0/1.

-- Reference lists a council can change (service areas, closure reasons). Seeded with the
-- defaults of caremarket_core::direct_payments.
CREATE TABLE dp_reference (
    list TEXT NOT NULL,
    code TEXT NOT NULL,
    label TEXT NOT NULL,
    position INTEGER NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (list, code)
);
INSERT INTO dp_reference (list, code, label, position) VALUES
    ('service_area', 'learning_disabilities', 'Learning Disabilities', 1),
    ('service_area', 'older_people', 'Older People', 2),
    ('service_area', 'physical_disabilities', 'Physical Disabilities', 3),
    ('service_area', 'mental_health', 'Mental Health', 4),
    ('service_area', 'age_18_25', '18–25', 5),
    ('service_area', 'chc_fully_funded', 'Continuing Healthcare fully funded', 6),
    ('service_area', 'adults_future_options', 'Adults Future Options', 7),
    ('service_area', 'reablement', 'Reablement', 8),
    ('closure_reason', 'council_arranged', 'Moved to a council-arranged service', 1),
    ('closure_reason', 'stopped_all_services', 'Stopped all social care services', 2),
    ('closure_reason', 'residential_care', 'Moved into residential care', 3),
    ('closure_reason', 'deceased', 'Deceased', 4),
    ('closure_reason', 'other', 'Other', 5);

CREATE TABLE direct_payments (
    id TEXT PRIMARY KEY,
    person_ref TEXT NOT NULL,
    service_area TEXT NOT NULL,
    is_child INTEGER NOT NULL DEFAULT 0,
    budget_pence INTEGER NOT NULL CHECK (budget_pence > 0),
    budget_period TEXT NOT NULL,
    holding TEXT NOT NULL,
    mm_provider_id TEXT REFERENCES providers (id),
    start_date TEXT NOT NULL,
    end_date TEXT,
    closure_reason TEXT,
    officer_id TEXT REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (end_date IS NULL OR end_date >= start_date)
);
CREATE INDEX direct_payments_ref ON direct_payments (person_ref);
CREATE INDEX direct_payments_open ON direct_payments (end_date, start_date);
CREATE INDEX direct_payments_officer ON direct_payments (officer_id);
CREATE INDEX direct_payments_mm ON direct_payments (mm_provider_id);

CREATE TABLE dp_spend_imports (
    id TEXT PRIMARY KEY,
    file_name TEXT NOT NULL,
    row_count INTEGER NOT NULL,
    total_pence INTEGER NOT NULL,
    imported_at TEXT NOT NULL,
    actor_label TEXT NOT NULL
);

CREATE TABLE dp_spend (
    id TEXT PRIMARY KEY,
    dp_id TEXT NOT NULL REFERENCES direct_payments (id),
    spend_date TEXT NOT NULL,
    amount_pence INTEGER NOT NULL,
    category TEXT NOT NULL,
    import_id TEXT REFERENCES dp_spend_imports (id),
    created_at TEXT NOT NULL
);
CREATE INDEX dp_spend_dp ON dp_spend (dp_id, spend_date);
CREATE INDEX dp_spend_date ON dp_spend (spend_date);

-- Check-in calls, reviews and financial monitoring. A financial monitoring period records the
-- balance, the surplus worked out from it and the reclaim (requested, returned).
CREATE TABLE dp_monitoring (
    id TEXT PRIMARY KEY,
    dp_id TEXT NOT NULL REFERENCES direct_payments (id),
    kind TEXT NOT NULL,
    completed_on TEXT NOT NULL,
    period_start TEXT,
    period_end TEXT,
    balance_pence INTEGER,
    contingency_weeks INTEGER,
    allowed_contingency_pence INTEGER,
    surplus_pence INTEGER,
    requested_pence INTEGER,
    returned_pence INTEGER,
    returned_on TEXT,
    notes TEXT,
    officer_label TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX dp_monitoring_dp ON dp_monitoring (dp_id, kind, completed_on);

-- Annual quality assurance of money management companies on the Recognised Provider List.
CREATE TABLE rpl_quality_assurance (
    id TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    assessed_on TEXT NOT NULL,
    result TEXT NOT NULL,
    notes TEXT,
    actor_label TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX rpl_qa_provider ON rpl_quality_assurance (provider_id, assessed_on);

-- A provider (any kind) leaving the market or a list: every affected person is tracked to a new
-- arrangement. Used for money management companies removed from the RPL and for provider exit
-- (quality assurance, issue 3).
CREATE TABLE exit_plans (
    id TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    reason TEXT NOT NULL,
    planned INTEGER NOT NULL DEFAULT 1,
    context TEXT NOT NULL,
    opened_on TEXT NOT NULL,
    target_date TEXT,
    closed_on TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX exit_plans_provider ON exit_plans (provider_id);

CREATE TABLE exit_plan_items (
    id TEXT PRIMARY KEY,
    exit_plan_id TEXT NOT NULL REFERENCES exit_plans (id),
    person_ref TEXT NOT NULL,
    source_type TEXT NOT NULL,
    source_id TEXT,
    status TEXT NOT NULL DEFAULT 'open',
    new_arrangement TEXT,
    done_on TEXT,
    notes TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX exit_plan_items_plan ON exit_plan_items (exit_plan_id, status);

-- Individual Service Funds: a budget held by a provider on a person's behalf.
CREATE TABLE isfs (
    id TEXT PRIMARY KEY,
    person_ref TEXT NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    budget_pence INTEGER NOT NULL CHECK (budget_pence > 0),
    budget_period TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    created_at TEXT NOT NULL,
    CHECK (end_date IS NULL OR end_date >= start_date)
);

-- The PA register: personal assistants and individual employers. Only the outward code
-- (postcode district) is held, never an address.
CREATE TABLE pa_entries (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    display_name TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT,
    outward_code TEXT NOT NULL,
    hours_per_week INTEGER NOT NULL,
    slots TEXT NOT NULL DEFAULT '',
    skills TEXT NOT NULL DEFAULT '',
    languages TEXT NOT NULL DEFAULT '',
    gender TEXT,
    gender_preference TEXT,
    driving INTEGER NOT NULL DEFAULT 0,
    dbs_status TEXT,
    dbs_date TEXT,
    about TEXT,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_on TEXT NOT NULL,
    approved_at TEXT,
    approved_by TEXT,
    withdrawn_at TEXT,
    withdrawn_reason TEXT
);
CREATE INDEX pa_entries_status ON pa_entries (kind, status);
CREATE INDEX pa_entries_created_on ON pa_entries (source, created_on);

CREATE TABLE pa_introductions (
    id TEXT PRIMARY KEY,
    employer_id TEXT NOT NULL REFERENCES pa_entries (id),
    pa_id TEXT NOT NULL REFERENCES pa_entries (id),
    introduced_on TEXT NOT NULL,
    score INTEGER NOT NULL,
    actor_label TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX pa_introductions_on ON pa_introductions (introduced_on);

-- PA rate cards a council adds (the shipped statutory defaults live in code).
CREATE TABLE pa_rate_cards (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    card_json TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Private market fees gathered from providers, per service type.
CREATE TABLE provider_fees (
    id TEXT PRIMARY KEY,
    provider_id TEXT REFERENCES providers (id),
    provider_name TEXT NOT NULL,
    service_type TEXT NOT NULL,
    fee_pence INTEGER NOT NULL CHECK (fee_pence > 0),
    gathered_on TEXT NOT NULL,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX provider_fees_type ON provider_fees (service_type, gathered_on);
