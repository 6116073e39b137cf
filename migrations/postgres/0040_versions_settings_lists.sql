-- Issue 17 item 6, part C: lost updates on the last records edited through forms without a
-- version (decision 25; docs/security.md "Lost updates"). Raised by one on every save; a save
-- made from an older version is refused and writes nothing.
-- A quarter's words for one section of the Market Oversight Report. A section never saved for
-- the quarter (its words carried forward from an earlier one) reads as version 1.
ALTER TABLE report_narratives ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
-- An entry of the direct payments lists (renamed from its row of the lists page).
ALTER TABLE dp_reference ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
-- A year's real Living Wage rates (corrected from the rates form opened for that year).
ALTER TABLE living_wage_rates ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
-- The council's position on each Ethical Care Charter element is kept as a history (a new row
-- each time it is set), so the version that a position form is opened at lives here, one row
-- per element; an element never set from a versioned form reads as version 1.
CREATE TABLE charter_versions (
    element TEXT PRIMARY KEY,
    version BIGINT NOT NULL DEFAULT 1
);
