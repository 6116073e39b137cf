-- What an import compares a file with before reading it again (decision 57): every CQC service's
-- location id, stored content digest and registration status, read from this index alone instead
-- of a scan of `services`, whose rows carry each location's stored JSON.
CREATE INDEX services_cqc_digest ON services (cqc_location_id, cqc_hash, registration_status);
