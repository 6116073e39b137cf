-- caremarket schema v1: accounts, audit, the provider and service register, imports, placements.
-- Identifiers are UUID v7 text; dates ISO-8601 text (YYYY-MM-DD); timestamps RFC 3339 UTC text
-- with microseconds; flags INTEGER 0/1; money integer pence. The PostgreSQL schema is the same
-- shape so that one SQL text serves both (docs/decisions.md).

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    provider_id TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    last_sign_in_at TEXT
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    actor_id TEXT,
    actor_label TEXT NOT NULL,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT,
    summary TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX audit_entity ON audit_log (entity_type, entity_id);
CREATE INDEX audit_at ON audit_log (at);

CREATE TABLE areas (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE area_districts (
    outward_code TEXT PRIMARY KEY,
    area_id TEXT NOT NULL REFERENCES areas (id)
);

CREATE TABLE frameworks (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT,
    starts_on TEXT,
    ends_on TEXT,
    notes TEXT
);
CREATE TABLE framework_lots (
    id TEXT PRIMARY KEY,
    framework_id TEXT NOT NULL REFERENCES frameworks (id),
    name TEXT NOT NULL,
    UNIQUE (framework_id, name)
);

CREATE TABLE providers (
    id TEXT PRIMARY KEY,
    cqc_provider_id TEXT UNIQUE,
    name TEXT NOT NULL,
    address TEXT,
    postcode TEXT,
    phone TEXT,
    website TEXT,
    notes TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX providers_name ON providers (name);

CREATE TABLE services (
    id TEXT PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    cqc_location_id TEXT UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    kind_set_by_council INTEGER NOT NULL DEFAULT 0,
    address_line TEXT,
    town TEXT,
    postcode TEXT,
    outward_code TEXT,
    local_authority TEXT,
    region TEXT,
    in_area INTEGER NOT NULL DEFAULT 1,
    area_id TEXT REFERENCES areas (id),
    phone TEXT,
    website TEXT,
    registration_status TEXT NOT NULL,
    registration_date TEXT,
    deregistration_date TEXT,
    beds INTEGER,
    service_types TEXT NOT NULL DEFAULT '',
    rating_overall TEXT,
    rating_safe TEXT,
    rating_effective TEXT,
    rating_caring TEXT,
    rating_responsive TEXT,
    rating_well_led TEXT,
    rating_date TEXT,
    last_inspection_date TEXT,
    contract_status TEXT NOT NULL DEFAULT 'not_contracted',
    framework_id TEXT REFERENCES frameworks (id),
    lot_id TEXT REFERENCES framework_lots (id),
    contract_start TEXT,
    contract_end TEXT,
    council_notes TEXT,
    cqc_hash TEXT,
    relationships_json TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX services_provider ON services (provider_id);
CREATE INDEX services_kind ON services (kind, in_area);
CREATE INDEX services_contract ON services (contract_status);
CREATE INDEX services_name ON services (name);

CREATE TABLE service_specialisms (
    service_id TEXT NOT NULL REFERENCES services (id),
    specialism TEXT NOT NULL,
    PRIMARY KEY (service_id, specialism)
);
CREATE INDEX specialism_by_name ON service_specialisms (specialism, service_id);

CREATE TABLE rating_history (
    id TEXT PRIMARY KEY,
    service_id TEXT NOT NULL REFERENCES services (id),
    overall TEXT,
    safe TEXT,
    effective TEXT,
    caring TEXT,
    responsive TEXT,
    well_led TEXT,
    report_date TEXT,
    previous_overall TEXT,
    recorded_at TEXT NOT NULL,
    source TEXT NOT NULL,
    import_id TEXT
);
CREATE INDEX rating_history_service ON rating_history (service_id, report_date);
CREATE INDEX rating_history_recorded ON rating_history (recorded_at);

CREATE TABLE imports (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    file_name TEXT NOT NULL,
    format TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    actor_label TEXT NOT NULL,
    status TEXT NOT NULL,
    new_count INTEGER NOT NULL DEFAULT 0,
    updated_count INTEGER NOT NULL DEFAULT 0,
    unchanged_count INTEGER NOT NULL DEFAULT 0,
    deregistered_count INTEGER NOT NULL DEFAULT 0,
    rejected_count INTEGER NOT NULL DEFAULT 0,
    rejections_json TEXT NOT NULL DEFAULT '[]',
    error TEXT
);

CREATE TABLE national_benchmarks (
    kind TEXT PRIMARY KEY,
    percent_good_or_outstanding REAL NOT NULL,
    rated_services INTEGER,
    as_at TEXT NOT NULL,
    source TEXT NOT NULL
);

CREATE TABLE placements (
    id TEXT PRIMARY KEY,
    person_ref TEXT NOT NULL,
    service_id TEXT NOT NULL REFERENCES services (id),
    host_authority TEXT NOT NULL,
    funder TEXT NOT NULL,
    reason TEXT,
    start_date TEXT NOT NULL,
    end_date TEXT,
    host_restrictions TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX placements_service ON placements (service_id);
