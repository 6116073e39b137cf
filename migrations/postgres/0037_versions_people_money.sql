-- Issue 17 item 6, part B: lost updates on the records edited through forms that did not yet
-- carry a version (decision 25; docs/security.md "Lost updates"). Raised by one on every save of
-- the record; a save made from an older version is refused.
ALTER TABLE direct_payments ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
-- Settings are named by their key; one never saved reads as version 1, and its first save
-- writes it at 2.
ALTER TABLE settings ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
-- Cost centres are named by their code.
ALTER TABLE budget_cost_centres ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
-- A fee increase request is decided once: its decision form carries the version.
ALTER TABLE fee_requests ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
