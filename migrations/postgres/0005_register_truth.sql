-- Issue 14: the register tells the truth about real CQC data.
-- An import records what it skipped as outside the register's scope (healthcare locations of an
-- API download), how many provider names it read, and how many changes of rating it recorded.
ALTER TABLE imports ADD COLUMN skipped_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN skipped_json TEXT NOT NULL DEFAULT '[]';
ALTER TABLE imports ADD COLUMN providers_read BIGINT NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN rating_changes_count BIGINT NOT NULL DEFAULT 0;

-- Earlier imports let a later "Inspected but not rated" report replace a service's current
-- rating. Forget the content digest so that the next import of any CQC file re-applies its
-- current ratings by the corrected rule (re-importing is otherwise "unchanged").
UPDATE services SET cqc_hash = NULL;
