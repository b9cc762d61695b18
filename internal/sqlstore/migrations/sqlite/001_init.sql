CREATE TABLE organizations (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT NOT NULL UNIQUE,
    default_country TEXT NOT NULL DEFAULT 'NL',
    created         BIGINT NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id        BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created       BIGINT NOT NULL
);

CREATE TABLE replicators (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id             BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name               TEXT NOT NULL,
    source             TEXT NOT NULL,
    entity             TEXT NOT NULL,
    exact_url          TEXT NOT NULL,
    division           BIGINT NOT NULL DEFAULT 0,
    client_id          TEXT NOT NULL DEFAULT '',
    client_secret_hint TEXT NOT NULL DEFAULT '',
    contact_url        TEXT NOT NULL DEFAULT '',
    default_country    TEXT NOT NULL DEFAULT '',
    interval_seconds   BIGINT NOT NULL,
    state              TEXT NOT NULL,
    state_message      TEXT NOT NULL DEFAULT '',
    cursor             BIGINT NOT NULL DEFAULT 0,
    deleted_cursor     BIGINT NOT NULL DEFAULT 0,
    resume_url         TEXT NOT NULL DEFAULT '',
    full_sync          INTEGER NOT NULL DEFAULT 0,
    pass               BIGINT NOT NULL DEFAULT 0,
    division_move_date BIGINT NOT NULL DEFAULT 0,
    division_checked   BIGINT NOT NULL DEFAULT 0,
    last_sync_at       BIGINT NOT NULL DEFAULT 0,
    next_sync_at       BIGINT NOT NULL DEFAULT 0,
    lease_owner        TEXT NOT NULL DEFAULT '',
    lease_until        BIGINT NOT NULL DEFAULT 0,
    created            BIGINT NOT NULL,
    updated            BIGINT NOT NULL
);
CREATE UNIQUE INDEX replicators_client_id ON replicators(client_id) WHERE client_id <> '';
CREATE INDEX replicators_due ON replicators(next_sync_at);

CREATE TABLE credentials (
    replicator_id BIGINT PRIMARY KEY REFERENCES replicators(id) ON DELETE CASCADE,
    client_secret TEXT NOT NULL DEFAULT '',
    token         TEXT NOT NULL DEFAULT '',
    updated       BIGINT NOT NULL
);

CREATE TABLE entries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id           BIGINT NOT NULL,
    replicator_id    BIGINT NOT NULL REFERENCES replicators(id) ON DELETE CASCADE,
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
    UNIQUE (replicator_id, source_id)
);
CREATE INDEX entries_org ON entries(org_id);

CREATE TABLE entry_numbers (
    entry_id  BIGINT NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    org_id    BIGINT NOT NULL,
    e164      TEXT NOT NULL,
    extension TEXT NOT NULL,
    field     TEXT NOT NULL
);
CREATE INDEX entry_numbers_lookup ON entry_numbers(org_id, e164);
CREATE INDEX entry_numbers_entry ON entry_numbers(entry_id);

CREATE TABLE sync_runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    replicator_id BIGINT NOT NULL REFERENCES replicators(id) ON DELETE CASCADE,
    trigger_kind  TEXT NOT NULL,
    full_sync     INTEGER NOT NULL,
    started       BIGINT NOT NULL,
    ended         BIGINT NOT NULL DEFAULT 0,
    outcome       TEXT NOT NULL,
    records_read  BIGINT NOT NULL DEFAULT 0,
    created       BIGINT NOT NULL DEFAULT 0,
    updated       BIGINT NOT NULL DEFAULT 0,
    deleted       BIGINT NOT NULL DEFAULT 0,
    unparseable   BIGINT NOT NULL DEFAULT 0,
    api_calls     BIGINT NOT NULL DEFAULT 0,
    error         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sync_runs_replicator ON sync_runs(replicator_id, id);

CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id BIGINT NOT NULL,
    at     BIGINT NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_org ON audit_log(org_id, id);

CREATE TABLE oauth_states (
    state         TEXT PRIMARY KEY,
    replicator_id BIGINT NOT NULL REFERENCES replicators(id) ON DELETE CASCADE,
    session_id    TEXT NOT NULL,
    expires       BIGINT NOT NULL
);
