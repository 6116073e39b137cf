-- Issue 17 item 7: passwords a person changes themselves. An account made by an administrator
-- or the command line, or whose password an administrator reset, must choose a new password at
-- its next sign-in (must_change_password); password_changed_at says when it last changed.
-- Sessions name their account (user_id, copied from the session's data by the session store)
-- so that changing or resetting a password can end the account's other sessions.
ALTER TABLE users ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN password_changed_at TEXT;
ALTER TABLE sessions ADD COLUMN user_id TEXT;
UPDATE sessions SET user_id = (data::json ->> 'user_id');
CREATE INDEX sessions_user ON sessions (user_id);
