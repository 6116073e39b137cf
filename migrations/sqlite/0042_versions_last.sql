-- Issue 17 item 6, the last part: lost updates on the records still replaced from a form without
-- a version (decision 25; docs/security.md "Lost updates"). A save made from an older version is
-- refused and writes nothing.
-- A training or support offer of a CQC report theme (changed from its row of the theme page).
ALTER TABLE theme_offers ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
-- Records that a form creates, replaces or clears as a whole, so that the row holding them may
-- not exist (a spend supplier's match to a provider, a service's quality officer and team, a
-- single sign-on group's role). Their version lives here, by kind and key, and outlives the row:
-- a key with no row here is at version 1, and clearing or removing the record raises it, so a
-- form opened before a clear cannot replace what was put there after.
CREATE TABLE keyed_versions (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (kind, key)
);
