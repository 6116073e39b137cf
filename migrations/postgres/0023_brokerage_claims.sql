-- Issue 16 item 10: one officer works a package request at a time. claimed_by is the officer
-- (a user) working it and claimed_at since when; both are empty when no one has it. Claims,
-- take-overs and releases are in the audit log against the request (its history).
-- offered_to_all marks the offers made in one "offer to every eligible provider" action: the
-- first provider to accept wins and the others' offers are withdrawn.
ALTER TABLE package_requests ADD COLUMN claimed_by TEXT REFERENCES users (id);
ALTER TABLE package_requests ADD COLUMN claimed_at TEXT;
ALTER TABLE package_offers ADD COLUMN offered_to_all INTEGER NOT NULL DEFAULT 0;
CREATE INDEX package_requests_claimed_by ON package_requests (claimed_by);
