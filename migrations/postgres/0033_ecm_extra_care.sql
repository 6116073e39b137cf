-- A planned home care visit at an Extra Care scheme (the ECM import's optional extra_care column).
-- The Ethical Care Charter's "no 15-minute visits" does not count these (004 allows them there).
ALTER TABLE ecm_visits ADD COLUMN extra_care BIGINT NOT NULL DEFAULT 0;
