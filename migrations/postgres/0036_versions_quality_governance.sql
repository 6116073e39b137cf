-- Issue 17 item 6: lost updates, continued (decision 25). Contract frameworks, quality actions,
-- committees, delivery plans' details, scrutiny reviews, their recommendations and their agreed
-- actions carry a version, raised by one on every save through their forms and the API; a save made
-- from an older version is refused. An action's status (the provider's progress, an officer's
-- decision) and the officer's internal note are versioned apart; a child's change does not raise
-- its parent's. Quality visits already carry one (0018); saving their scores and report now checks
-- and raises it too.
ALTER TABLE frameworks ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE quality_actions ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE quality_actions ADD COLUMN note_version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE committees ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE scrutiny_reviews ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE scrutiny_recommendations ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE scrutiny_actions ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE delivery_plans ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
