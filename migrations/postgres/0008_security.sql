-- Issue 17 item 5: session ids are kept only as their SHA-256, as API tokens are, so that a
-- copy of the database (a backup) holds no id that signs anyone in. The ids already stored
-- are hashed by the migration step in crates/store/src/db.rs, in the same transaction, so
-- nobody is signed out by the upgrade.
ALTER TABLE sessions RENAME COLUMN id TO id_hash;
