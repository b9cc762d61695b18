-- Roles: an owner manages the admins, an admin manages replicators, keys
-- and channels, a read-only admin sees everything and changes nothing.
-- Everyone who was an admin before roles existed keeps what they could
-- do, so they become owners. last_sign_in is shown on the admins page.
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'owner';
ALTER TABLE users ADD COLUMN last_sign_in BIGINT NOT NULL DEFAULT 0;

-- Every portal form carries a one-time token; the first request with it
-- claims its row here and any repeat (a double click, a reload) gets the
-- first one's answer instead of acting again. location is that answer,
-- empty while the first request is still working. Rows go with their
-- session.
CREATE TABLE form_submissions (
    session_id TEXT NOT NULL REFERENCES sessions(id_hash) ON DELETE CASCADE,
    nonce      TEXT NOT NULL,
    created    BIGINT NOT NULL,
    location   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (session_id, nonce)
);

-- What a page shows once after a form redirected to it (a new API key, a
-- new admin's password, a password reset link), sealed, bound to the
-- session and deleted when shown.
CREATE TABLE flashes (
    session_id TEXT NOT NULL REFERENCES sessions(id_hash) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    sealed     TEXT NOT NULL,
    created    BIGINT NOT NULL,
    PRIMARY KEY (session_id, kind)
);

-- One-time password reset links an owner makes for another admin. Only
-- the hash of the link's token is kept.
CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires    BIGINT NOT NULL
);
CREATE INDEX password_resets_user ON password_resets(user_id);
