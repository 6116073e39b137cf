-- Issue 17 item 6: lost updates, continued (decision 25). A committee's meetings, its agenda and
-- forward plan items, each item's appraisal options, and a self-assessment's claims and evidence
-- items carry a version, raised by one on every save through their change forms; a save made
-- from an older version is refused. Each is its own record: a child's change does not raise its
-- parent's (adding an option to an item does not raise the item's), and none raises the
-- committee's or the self-assessment's.
ALTER TABLE committee_meetings ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE committee_items ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE appraisal_options ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE assessment_claims ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE assessment_evidence ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
