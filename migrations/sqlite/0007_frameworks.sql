-- 0007: contract frameworks cover several service kinds; postcode positions for Open Referral.

-- The service kinds a framework covers (a home care framework may also cover extra care and
-- supported living). frameworks.kind is kept for older readers; this table is the truth.
CREATE TABLE framework_kinds (
    framework_id TEXT NOT NULL REFERENCES frameworks (id),
    kind TEXT NOT NULL,
    PRIMARY KEY (framework_id, kind)
);
INSERT INTO framework_kinds (framework_id, kind) SELECT id, kind FROM frameworks WHERE kind IS NOT NULL;

-- WGS84 positions of postcodes, loaded from the ONS postcode directory by
-- `caremarket import postcodes` (converted from the National Grid at import).
CREATE TABLE postcode_points (
    postcode TEXT PRIMARY KEY,
    latitude REAL NOT NULL,
    longitude REAL NOT NULL
);
