-- Money limits (issue 16 item 16), as council finance systems enforce them. docs/direct-payments.md
-- ("Money limits") and docs/decisions.md 41 have the reasoning.

-- An officer's own approval limits, set by an administrator. NULL: the council's default (a
-- setting). A reclaim or a package above the limit of the officer who puts it forward waits for a
-- second officer whose limit covers it.
CREATE TABLE approval_limits (
    user_id TEXT PRIMARY KEY REFERENCES users (id),
    reclaim_pence INTEGER CHECK (reclaim_pence >= 0),
    package_weekly_pence INTEGER CHECK (package_weekly_pence >= 0),
    set_by_label TEXT NOT NULL,
    set_at TEXT NOT NULL
);

-- A reclaim's approval: 'approved' (within the recorder's limit, or approved by a second
-- officer) or 'awaiting' a second approver. Earlier reclaims were approved when recorded.
ALTER TABLE dp_monitoring ADD COLUMN recorded_by TEXT;
ALTER TABLE dp_monitoring ADD COLUMN approval TEXT NOT NULL DEFAULT 'approved';
ALTER TABLE dp_monitoring ADD COLUMN approved_by TEXT;
ALTER TABLE dp_monitoring ADD COLUMN approved_by_label TEXT;
ALTER TABLE dp_monitoring ADD COLUMN approved_at TEXT;

-- A package's second approval, with the weekly cost it was approved at.
ALTER TABLE package_requests ADD COLUMN approved_by TEXT;
ALTER TABLE package_requests ADD COLUMN approved_by_label TEXT;
ALTER TABLE package_requests ADD COLUMN approved_at TEXT;
ALTER TABLE package_requests ADD COLUMN approved_weekly_pence INTEGER;

-- Card spend: the merchant category code (ISO 18245) the card provider reports, and an officer's
-- review of spend in a blocked category.
ALTER TABLE dp_spend ADD COLUMN merchant_category TEXT;
ALTER TABLE dp_spend ADD COLUMN reviewed_by_label TEXT;
ALTER TABLE dp_spend ADD COLUMN reviewed_at TEXT;
ALTER TABLE dp_spend ADD COLUMN review_note TEXT;
CREATE INDEX dp_spend_merchant_category ON dp_spend (merchant_category);

-- The council's blocked merchant categories: data, edited on the direct payments settings page.
-- Seeded with the categories councils commonly block on prepaid cards.
CREATE TABLE dp_blocked_categories (
    code TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    added_by_label TEXT NOT NULL,
    added_at TEXT NOT NULL
);
INSERT INTO dp_blocked_categories (code, label, added_by_label, added_at) VALUES
    ('5813', 'Bars, pubs and nightclubs', 'caremarket', '2026-12-05T00:00:00Z'),
    ('5921', 'Off-licences (beer, wine and spirits)', 'caremarket', '2026-12-05T00:00:00Z'),
    ('5993', 'Tobacconists', 'caremarket', '2026-12-05T00:00:00Z'),
    ('6051', 'Quasi-cash: foreign currency, money orders, cryptocurrency', 'caremarket', '2026-12-05T00:00:00Z'),
    ('7273', 'Dating and escort services', 'caremarket', '2026-12-05T00:00:00Z'),
    ('7800', 'Government-owned lotteries', 'caremarket', '2026-12-05T00:00:00Z'),
    ('7801', 'Online casinos and gambling', 'caremarket', '2026-12-05T00:00:00Z'),
    ('7802', 'Horse and dog racing', 'caremarket', '2026-12-05T00:00:00Z'),
    ('7995', 'Betting and casino gambling', 'caremarket', '2026-12-05T00:00:00Z');
