-- Ingest writes a page of entries and their numbers in a few statements.
-- Foreign keys made every row check its parent and, worse, made each
-- statement keep a journal of its own to undo a half-applied statement.
-- The store removes an entry's numbers and a replicator's entries itself,
-- in the transaction that removes the entry or the replicator. SQLite
-- cannot drop a constraint, so both tables are rebuilt without them.
CREATE TABLE entry_numbers_rebuilt (
    entry_id  BIGINT NOT NULL,
    org_id    BIGINT NOT NULL,
    e164      TEXT NOT NULL,
    extension TEXT NOT NULL,
    field     TEXT NOT NULL
);
INSERT INTO entry_numbers_rebuilt (entry_id, org_id, e164, extension, field)
    SELECT entry_id, org_id, e164, extension, field FROM entry_numbers;
DROP TABLE entry_numbers;
ALTER TABLE entry_numbers_rebuilt RENAME TO entry_numbers;
CREATE INDEX entry_numbers_lookup ON entry_numbers(org_id, e164);
CREATE INDEX entry_numbers_entry ON entry_numbers(entry_id);

CREATE TABLE entries_rebuilt (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id           BIGINT NOT NULL,
    replicator_id    BIGINT NOT NULL,
    kind             TEXT NOT NULL,
    source_id        TEXT NOT NULL,
    company_id       TEXT NOT NULL,
    display_name     TEXT NOT NULL,
    company_name     TEXT NOT NULL,
    email            TEXT NOT NULL,
    job_title        TEXT NOT NULL,
    source_modified  BIGINT NOT NULL,
    source_timestamp BIGINT NOT NULL,
    synced_at        BIGINT NOT NULL,
    pass             BIGINT NOT NULL,
    numbers          TEXT NOT NULL,
    unparseable      INTEGER NOT NULL,
    version          BIGINT NOT NULL DEFAULT 0,
    UNIQUE (replicator_id, source_id)
);
INSERT INTO entries_rebuilt (id, org_id, replicator_id, kind, source_id, company_id, display_name, company_name, email, job_title,
        source_modified, source_timestamp, synced_at, pass, numbers, unparseable, version)
    SELECT id, org_id, replicator_id, kind, source_id, company_id, display_name, company_name, email, job_title,
        source_modified, source_timestamp, synced_at, pass, numbers, unparseable, version FROM entries;
-- Ids are never reused (the directory index follows removals by id):
-- the rebuilt table carries on from the old one's highest id, even one
-- whose entry is gone.
DELETE FROM sqlite_sequence WHERE name = 'entries_rebuilt';
INSERT INTO sqlite_sequence (name, seq) SELECT 'entries_rebuilt', seq FROM sqlite_sequence WHERE name = 'entries';
DROP TABLE entries;
ALTER TABLE entries_rebuilt RENAME TO entries;
CREATE INDEX entries_org ON entries(org_id);
CREATE INDEX entries_unparseable ON entries(replicator_id) WHERE unparseable > 0;
CREATE INDEX entries_version ON entries(replicator_id, version);
