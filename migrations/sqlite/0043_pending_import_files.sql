-- Issue 18 item 1: a web upload waiting for the officer's confirmation keeps its files as they
-- arrived, in chunks of at most 1 MiB, instead of their parsed locations as one JSON text. The
-- upload is imported as it is read again, a batch at a time, so neither the pending row nor the
-- confirmation holds the whole file in memory. Uploads already waiting held only the parsed
-- JSON, which the confirmation no longer reads: they are dropped (the officer uploads again).
DELETE FROM pending_imports;
ALTER TABLE pending_imports DROP COLUMN outcome_json;

-- Each file of a pending upload, in the order it was chosen, with the name the officer gave it.
CREATE TABLE pending_import_files (
    pending_id TEXT NOT NULL REFERENCES pending_imports(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    chunks INTEGER NOT NULL,
    PRIMARY KEY (pending_id, position)
);

-- A file's bytes, chunk by chunk from its start.
CREATE TABLE pending_import_chunks (
    pending_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (pending_id, position, seq),
    FOREIGN KEY (pending_id, position) REFERENCES pending_import_files(pending_id, position) ON DELETE CASCADE
);
