-- Issue 17 item 10: a public registration counts only once its email address is confirmed by a
-- link sent to it, and no one source can use up a day's registrations. email_domain and
-- client_key (a hash of the sender's network address, never the address itself) are what the
-- per-domain and per-address caps count; confirmed_on is what the daily cap counts. Entries made
-- before this migration were accepted without confirmation and stay as they were.
ALTER TABLE pa_entries ADD COLUMN email_domain TEXT NOT NULL DEFAULT '';
ALTER TABLE pa_entries ADD COLUMN client_key TEXT;
ALTER TABLE pa_entries ADD COLUMN confirmed_at TEXT;
ALTER TABLE pa_entries ADD COLUMN confirmed_on TEXT;
UPDATE pa_entries SET email_domain = lower(substr(email, strpos(email, '@') + 1)), confirmed_at = created_at, confirmed_on = created_on;
CREATE INDEX pa_entries_public_confirmed ON pa_entries (source, confirmed_on);
CREATE INDEX pa_entries_email ON pa_entries (email);

-- Links sent by email: to confirm a registration, or to withdraw an entry. Only a hash of the
-- link's token is kept, as for API tokens and sessions.
CREATE TABLE pa_email_links (
    token_hash TEXT PRIMARY KEY,
    entry_id TEXT NOT NULL REFERENCES pa_entries (id),
    purpose TEXT NOT NULL,
    client_key TEXT,
    created_at TEXT NOT NULL,
    created_on TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX pa_email_links_entry ON pa_email_links (entry_id, purpose);
CREATE INDEX pa_email_links_day ON pa_email_links (created_on, client_key);
