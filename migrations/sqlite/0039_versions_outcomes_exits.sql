-- Issue 17 item 6: lost updates on outcomes-based contracts, exit plan items and approval limits
-- (decision 25; docs/security.md "Lost updates"). Each is raised by one on every save of the
-- record; a save made from an older version is refused and writes nothing.
-- An outcome claim is decided once: the decision form carries its version.
ALTER TABLE oc_claims ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
-- A cohort member's leaving is recorded once: the form carries the member's version.
ALTER TABLE oc_members ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
-- A person on an exit plan (quality provider exits and RPL removals share the table).
ALTER TABLE exit_plan_items ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
-- An officer's own approval limits, named by the user: an officer without a row reads as version
-- 1, and the first save writes the row at 2. Clearing them keeps the row (both limits empty).
ALTER TABLE approval_limits ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
-- The council's default limits are two settings, which carry a version since 0037.
