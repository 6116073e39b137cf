-- Workforce returns and the Ethical Care Charter (issue 13 items 1-3; domain C8; decision 39).
-- A provider returns, per service and calendar quarter ('2025-Q2'), its staff in aggregate: no
-- names are collected. A resubmission replaces the quarter's row (the audit keeps the earlier
-- figures). Percentages are tenths of a percent, full-time equivalents hundredths, pay pence.
-- `last_month` ('2025-06') is the quarter's last month, so the early-warning score's staffing
-- factor can take a return newer than the latest monthly return.

CREATE TABLE workforce_returns (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id),
    provider_id TEXT NOT NULL REFERENCES providers (id),
    period TEXT NOT NULL,
    last_month TEXT NOT NULL,
    care_workers INTEGER NOT NULL CHECK (care_workers >= 0),
    nurses INTEGER NOT NULL CHECK (nurses >= 0),
    managers INTEGER NOT NULL CHECK (managers >= 0),
    other_staff INTEGER NOT NULL CHECK (other_staff >= 0),
    care_workers_fte INTEGER NOT NULL CHECK (care_workers_fte >= 0),
    nurses_fte INTEGER NOT NULL CHECK (nurses_fte >= 0),
    managers_fte INTEGER NOT NULL CHECK (managers_fte >= 0),
    other_staff_fte INTEGER NOT NULL CHECK (other_staff_fte >= 0),
    vacancies INTEGER NOT NULL CHECK (vacancies >= 0),
    starters INTEGER NOT NULL CHECK (starters >= 0),
    leavers INTEGER NOT NULL CHECK (leavers >= 0),
    zero_hours_staff INTEGER NOT NULL CHECK (zero_hours_staff >= 0),
    guaranteed_hours_staff INTEGER NOT NULL CHECK (guaranteed_hours_staff >= 0),
    agency_hours INTEGER NOT NULL CHECK (agency_hours >= 0),
    lowest_hourly_pay_pence INTEGER NOT NULL CHECK (lowest_hourly_pay_pence >= 0),
    sick_pay INTEGER NOT NULL,
    care_certificate_permille INTEGER NOT NULL CHECK (care_certificate_permille BETWEEN 0 AND 1000),
    level2_permille INTEGER NOT NULL CHECK (level2_permille BETWEEN 0 AND 1000),
    level3_permille INTEGER NOT NULL CHECK (level3_permille BETWEEN 0 AND 1000),
    qualification_framework TEXT NOT NULL,
    medication_training_permille INTEGER NOT NULL CHECK (medication_training_permille BETWEEN 0 AND 1000),
    asc_wds_complete INTEGER NOT NULL,
    sent_by TEXT NOT NULL,
    created_by TEXT,
    created_by_label TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    UNIQUE (service_id, period)
);
CREATE INDEX workforce_returns_period ON workforce_returns (period, provider_id);
CREATE INDEX workforce_returns_staffing ON workforce_returns (service_id, last_month);

-- The Living Wage Foundation's real Living Wage (not the statutory National Living Wage), pence
-- an hour, as published each autumn; employers pay it by the 1 May after (`applies_from`).
CREATE TABLE living_wage_rates (
    year TEXT PRIMARY KEY,
    pence INTEGER NOT NULL CHECK (pence > 0),
    london_pence INTEGER NOT NULL CHECK (london_pence > 0),
    announced_on TEXT NOT NULL,
    applies_from TEXT NOT NULL
);
INSERT INTO living_wage_rates (year, pence, london_pence, announced_on, applies_from) VALUES
    ('2020/21', 950, 1085, '2020-11-09', '2021-05-01'),
    ('2021/22', 990, 1105, '2021-11-15', '2022-05-01'),
    ('2022/23', 1090, 1195, '2022-09-22', '2023-05-01'),
    ('2023/24', 1200, 1315, '2023-10-24', '2024-05-01'),
    ('2024/25', 1260, 1385, '2024-10-22', '2025-05-01'),
    ('2025/26', 1345, 1480, '2025-10-21', '2026-05-01');

-- The council's position on each Ethical Care Charter element ('1.1' to '3.2', core's
-- `workforce::ELEMENTS`): the latest row per element is the position; every earlier one is kept.
CREATE TABLE charter_positions (
    id TEXT PRIMARY KEY,
    element TEXT NOT NULL,
    position TEXT NOT NULL,
    note TEXT NOT NULL,
    set_on TEXT NOT NULL,
    set_by TEXT,
    set_by_label TEXT NOT NULL,
    set_at TEXT NOT NULL
);
CREATE INDEX charter_positions_element ON charter_positions (element, set_at);

-- Workforce returns feed the early-warning score's staffing factor: keep the kept figures
-- correct (0013, docs/kept-figures.md).
CREATE TRIGGER kept_workforce_returns_insert AFTER INSERT ON workforce_returns BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT NEW.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_workforce_returns_update AFTER UPDATE ON workforce_returns BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT OLD.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
    INSERT INTO kept_changes (service_id, version) SELECT NEW.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER kept_workforce_returns_delete AFTER DELETE ON workforce_returns BEGIN
    UPDATE kept_version SET version = version + 1 WHERE id = 1;
    INSERT INTO kept_changes (service_id, version) SELECT OLD.service_id, version FROM kept_version WHERE id = 1
        ON CONFLICT (service_id) DO UPDATE SET version = excluded.version;
END;

-- The workforce's profile in aggregate (average age, sex, ethnicity, recruited from within the
-- sector), market-level figures entered by the commissioner with their source ('' kind: every
-- market). Values are tenths (of a year, or of a percent). The latest per kind and measure is
-- shown; earlier rows are its history.
CREATE TABLE workforce_profile (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    measure TEXT NOT NULL,
    value INTEGER NOT NULL CHECK (value >= 0),
    as_of TEXT NOT NULL,
    source TEXT NOT NULL,
    set_by TEXT,
    set_by_label TEXT NOT NULL,
    set_at TEXT NOT NULL
);
CREATE INDEX workforce_profile_measure ON workforce_profile (kind, measure, set_at);
