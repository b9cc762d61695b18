-- Every instance keeps the directory's numbers in memory for lookups and
-- follows what other instances write through these. A transaction that
-- changes a replicator's entries takes the replicator's next directory
-- version, stamps the entries it writes with it, and records the ids of
-- the entries it removes. Versions of one replicator commit in order,
-- because taking one locks the replicator's row until the commit.
ALTER TABLE replicators ADD COLUMN directory_version BIGINT NOT NULL DEFAULT 0;
-- Removals older than a day are pruned; a copy that has not caught up
-- with this version since has to read the replicator's entries afresh.
ALTER TABLE replicators ADD COLUMN removals_floor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE entries ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
CREATE INDEX entries_version ON entries(replicator_id, version);

CREATE TABLE entry_removals (
    replicator_id BIGINT NOT NULL REFERENCES replicators(id) ON DELETE CASCADE,
    version       BIGINT NOT NULL,
    entry_id      BIGINT NOT NULL,
    removed       BIGINT NOT NULL
);
CREATE INDEX entry_removals_version ON entry_removals(replicator_id, version);
CREATE INDEX entry_removals_removed ON entry_removals(removed);
