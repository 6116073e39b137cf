-- Issue 17 item 8: council single sign-on with OpenID Connect. An administrator maps the
-- identity provider's groups to caremarket roles (sign_in_groups); a person who signs in through
-- the provider is linked to their account by the provider's issuer and subject, which never
-- change, rather than by an email address, which can (user_identities).
CREATE TABLE sign_in_groups (
    group_name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE user_identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX user_identities_user ON user_identities (user_id);
