-- Portal sign-in sessions. Only a hash of the cookie's token is kept, so
-- a copy of the database opens no session.
CREATE TABLE sessions (
    id_hash   TEXT PRIMARY KEY,
    user_id   BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    org_id    BIGINT NOT NULL,
    created   BIGINT NOT NULL,
    last_seen BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_last_seen ON sessions(last_seen);

-- Screen-pop links carry the generation they were made in; renewing the
-- links (a new generation) makes every older link stop working.
ALTER TABLE organizations ADD COLUMN pop_link_generation BIGINT NOT NULL DEFAULT 1;

-- The portal counts each replicator's records whose numbers did not
-- parse; a partial index keeps that from reading every entry.
CREATE INDEX entries_unparseable ON entries(replicator_id) WHERE unparseable > 0;
