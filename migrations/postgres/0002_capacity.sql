-- Capacity, brokerage and continuity (issue 4; domain C3, C4). Same shape as the PostgreSQL
-- migration (BIGINT here where SQLite has INTEGER). People appear only as case references.

-- A care home's beds on a date, one line per bed type (`000` "Accommodation with Care").
-- One return per home and date: a second return for the same date replaces the first.
CREATE TABLE vacancy_returns (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id),
    return_date TEXT NOT NULL,
    source TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (service_id, return_date)
);
CREATE INDEX vacancy_returns_date ON vacancy_returns (return_date);
CREATE TABLE vacancy_return_lines (
    return_id TEXT NOT NULL REFERENCES vacancy_returns (id) ON DELETE CASCADE,
    bed_type TEXT NOT NULL,
    occupied BIGINT NOT NULL CHECK (occupied >= 0),
    vacant BIGINT NOT NULL CHECK (vacant >= 0),
    PRIMARY KEY (return_id, bed_type)
);

-- Block-contracted temporary beds (Somewhere Else to Assess, emergency, planned respite).
CREATE TABLE block_beds (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id),
    kind TEXT NOT NULL,
    beds BIGINT NOT NULL CHECK (beds > 0),
    starts_on TEXT NOT NULL,
    ends_on TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX block_beds_service ON block_beds (service_id);

-- Placement restrictions and embargoes on a service (kind 'embargo' or 'restriction'); reused
-- by quality assurance (issue 3). Active while starts_on <= today and (ends_on IS NULL or
-- ends_on >= today).
CREATE TABLE placement_restrictions (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id),
    kind TEXT NOT NULL,
    scope TEXT,
    reason TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT,
    recorded_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX placement_restrictions_service ON placement_restrictions (service_id);

-- Spare capacity a provider declares: home care minutes a week by area and lot
-- (category 'general' / 'high_dependency'), or beds by type for other bedded services.
-- The latest declaration per (service, area, category) counts.
CREATE TABLE spare_capacity (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id),
    area_id TEXT REFERENCES areas (id),
    category TEXT NOT NULL,
    unit TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount >= 0),
    declared_on TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX spare_capacity_service ON spare_capacity (service_id, area_id, category);

-- Care delivered in a week: home care (people, packages, minutes) and supported living / day
-- services (1:1 and shared hours, people).
CREATE TABLE activity_returns (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id),
    week_of TEXT NOT NULL,
    people BIGINT NOT NULL DEFAULT 0,
    packages BIGINT NOT NULL DEFAULT 0,
    minutes_per_week BIGINT NOT NULL DEFAULT 0,
    one_to_one_hours BIGINT NOT NULL DEFAULT 0,
    shared_hours BIGINT NOT NULL DEFAULT 0,
    people_shared BIGINT NOT NULL DEFAULT 0,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (service_id, week_of)
);

-- Home care package requests (`004` model; `000` awaiting care). A person reference only.
CREATE TABLE package_requests (
    id TEXT PRIMARY KEY,
    person_ref TEXT NOT NULL,
    area_id TEXT NOT NULL REFERENCES areas (id),
    minutes_per_week BIGINT NOT NULL,
    visits_per_day BIGINT NOT NULL,
    visit_times TEXT NOT NULL DEFAULT '',
    double_up_visits BIGINT NOT NULL DEFAULT 0,
    lot TEXT NOT NULL,
    needs TEXT NOT NULL DEFAULT '',
    language TEXT,
    cultural_needs TEXT,
    route TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    status TEXT NOT NULL,
    service_id TEXT REFERENCES services (id),
    started_at TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX package_requests_status ON package_requests (status, requested_at);
CREATE INDEX package_requests_route ON package_requests (route, requested_at);

CREATE TABLE package_offers (
    id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL REFERENCES package_requests (id),
    service_id TEXT NOT NULL REFERENCES services (id),
    status TEXT NOT NULL,
    offered_at TEXT NOT NULL,
    offered_by TEXT NOT NULL,
    responded_at TEXT,
    response_note TEXT
);
CREATE INDEX package_offers_request ON package_offers (request_id);
CREATE INDEX package_offers_service ON package_offers (service_id, status);
