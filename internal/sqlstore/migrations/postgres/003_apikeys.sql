CREATE TABLE api_keys (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id    BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name      TEXT NOT NULL,
    prefix    TEXT NOT NULL,
    hash      TEXT NOT NULL UNIQUE,
    created   BIGINT NOT NULL,
    last_used BIGINT NOT NULL DEFAULT 0,
    revoked   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX api_keys_org ON api_keys(org_id, id);
