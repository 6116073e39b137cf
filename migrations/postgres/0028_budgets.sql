-- Budget against spend (issue 11 item 6; domain C7; seed 000 "circa £98m, against a budget of
-- £88m"). The market of a budget, a cost centre and so of a spend row is a type of service
-- (ServiceKind). Money is pence; a year is the one it starts in (2024 is 2024/25).

-- The council's cost centres, each mapped to a market. Codes are kept in capitals; the spend
-- import refuses a row whose cost centre is not here.
CREATE TABLE budget_cost_centres (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    updated_by_label TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Budgets per market and year. A change is a new version, never an update: the latest version
-- of a market and year is its budget, the earlier ones its history.
CREATE TABLE budgets (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    year BIGINT NOT NULL,
    amount_pence BIGINT NOT NULL CHECK (amount_pence > 0),
    reason TEXT,
    created_by TEXT,
    created_by_label TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX budgets_kind_year ON budgets (kind, year, created_at);

-- Each import of the finance system's spend file.
CREATE TABLE spend_imports (
    id TEXT PRIMARY KEY,
    file_name TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    total_pence BIGINT NOT NULL,
    replaced_count BIGINT NOT NULL,
    created_by_label TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Spend rows as the finance system gave them (credits negative). period is the month,
-- "2024-05"; year the financial year it falls in. An import replaces the rows of every cost
-- centre and month it covers.
CREATE TABLE spend_rows (
    id TEXT PRIMARY KEY,
    import_id TEXT NOT NULL REFERENCES spend_imports (id),
    row_number BIGINT NOT NULL,
    supplier TEXT NOT NULL,
    supplier_key TEXT NOT NULL,
    cost_centre TEXT NOT NULL REFERENCES budget_cost_centres (code),
    period TEXT NOT NULL,
    year BIGINT NOT NULL,
    amount_pence BIGINT NOT NULL
);
CREATE INDEX spend_rows_year ON spend_rows (year, cost_centre, period);
CREATE INDEX spend_rows_supplier ON spend_rows (supplier_key);

-- Suppliers matched to register providers, remembered for later imports.
CREATE TABLE spend_suppliers (
    supplier_key TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    matched_by_label TEXT NOT NULL,
    matched_at TEXT NOT NULL
);
