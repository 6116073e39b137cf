-- Issue 17 item 6: lost updates on the remaining records edited in place through forms
-- (decision 25; docs/security.md "Lost updates"). Raised by one on every save; a save made from
-- an older version is refused and writes nothing.
-- A quality cadence rule (its name, services, activity, interval, team, in use).
ALTER TABLE cadence_rules ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
-- A coded issue of a CQC report (its service, theme, report date and words).
ALTER TABLE theme_codings ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
-- Why a closed service closed (created or replaced from its form). A service with no reason
-- recorded reads as version 1, and the first save makes it 2, so two officers recording it
-- first cannot both land.
ALTER TABLE service_closures ADD COLUMN version INTEGER NOT NULL DEFAULT 2;
