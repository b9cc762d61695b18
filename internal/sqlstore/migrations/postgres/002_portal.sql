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
