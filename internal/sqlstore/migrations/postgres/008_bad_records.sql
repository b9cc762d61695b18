-- Text from Exact that the database could not hold as it came (a NUL
-- byte, bytes that are not UTF-8) is cleaned before it is stored; cleaned
-- says what was changed, for the replicator's data-quality list, which
-- finds the few such entries through a partial index.
ALTER TABLE entries ADD COLUMN cleaned TEXT NOT NULL DEFAULT '';
CREATE INDEX entries_cleaned ON entries(replicator_id) WHERE cleaned <> '';

-- A record the database refuses (a value too long, a constraint) is set
-- aside rather than stopping the sync of every record after it. It stays
-- listed until a later version of it is stored, Exact deletes it, or a
-- full pass no longer sees it. source_id is the record's id made
-- storable, so it may differ from Exact's when that was the problem.
CREATE TABLE set_aside_records (
    replicator_id BIGINT NOT NULL REFERENCES replicators(id) ON DELETE CASCADE,
    source_id     TEXT COLLATE "C" NOT NULL,
    kind          TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    reason        TEXT NOT NULL,
    pass          BIGINT NOT NULL,
    at            BIGINT NOT NULL,
    PRIMARY KEY (replicator_id, source_id)
);

ALTER TABLE sync_runs ADD COLUMN set_aside BIGINT NOT NULL DEFAULT 0;
