-- Outcomes-based contracts (issue 13 items 4-7; domain C10; decision 40). A contract, its parties
-- (the council, the special purpose vehicle and its providers, co-funders with their share of
-- each payment, commitment and end date, pooled-budget partners with their share of the risk),
-- its outcomes with tariffs and prerequisites, the cohort by case reference only (month and year
-- of birth, for the age-out rule; never a name), outcome claims with the officer's decision, and
-- each verified claim's payment split between the funders. Whether a payment is held until
-- savings are realised is computed from these records, never stored.

CREATE TABLE oc_contracts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    envelope_pence INTEGER NOT NULL CHECK (envelope_pence > 0),
    cap_pence INTEGER CHECK (cap_pence > 0),
    baseline INTEGER NOT NULL CHECK (baseline >= 0),
    forecast_low INTEGER NOT NULL CHECK (forecast_low >= 0),
    forecast_high INTEGER NOT NULL CHECK (forecast_high >= forecast_low),
    forecast_by TEXT NOT NULL,
    expected_saving_low_pence INTEGER NOT NULL,
    expected_saving_high_pence INTEGER NOT NULL,
    eligibility TEXT NOT NULL,
    age_out INTEGER NOT NULL,
    created_by_label TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE oc_parties (
    id TEXT PRIMARY KEY,
    contract_id TEXT NOT NULL REFERENCES oc_contracts (id),
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    provider_id TEXT REFERENCES providers (id),
    share_bp INTEGER NOT NULL CHECK (share_bp >= 0 AND share_bp <= 10000),
    commitment_pence INTEGER CHECK (commitment_pence > 0),
    ends_on TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX oc_parties_contract ON oc_parties (contract_id);
CREATE INDEX oc_parties_provider ON oc_parties (provider_id);

CREATE TABLE oc_outcomes (
    id TEXT PRIMARY KEY,
    contract_id TEXT NOT NULL REFERENCES oc_contracts (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    tariff_pence INTEGER NOT NULL CHECK (tariff_pence > 0),
    evidence TEXT NOT NULL,
    prerequisite_id TEXT REFERENCES oc_outcomes (id),
    after_months INTEGER NOT NULL CHECK (after_months >= 0),
    created_at TEXT NOT NULL,
    UNIQUE (contract_id, name)
);

CREATE TABLE oc_members (
    id TEXT PRIMARY KEY,
    contract_id TEXT NOT NULL REFERENCES oc_contracts (id),
    case_ref TEXT NOT NULL,
    born TEXT NOT NULL,
    entered_on TEXT NOT NULL,
    placement TEXT NOT NULL,
    weekly_cost_pence INTEGER NOT NULL CHECK (weekly_cost_pence > 0),
    left_on TEXT,
    leave_reason TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (contract_id, case_ref)
);

CREATE TABLE oc_claims (
    id TEXT PRIMARY KEY,
    contract_id TEXT NOT NULL REFERENCES oc_contracts (id),
    member_id TEXT NOT NULL REFERENCES oc_members (id),
    outcome_id TEXT NOT NULL REFERENCES oc_outcomes (id),
    achieved_on TEXT NOT NULL,
    evidence TEXT NOT NULL,
    status TEXT NOT NULL,
    provider_id TEXT REFERENCES providers (id),
    submitted_by_label TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    decided_by_label TEXT,
    decided_on TEXT,
    decided_at TEXT,
    reason TEXT
);
CREATE INDEX oc_claims_contract ON oc_claims (contract_id, status);

CREATE TABLE oc_payment_parts (
    claim_id TEXT NOT NULL REFERENCES oc_claims (id),
    party_id TEXT NOT NULL REFERENCES oc_parties (id),
    pence INTEGER NOT NULL CHECK (pence >= 0),
    PRIMARY KEY (claim_id, party_id)
);
