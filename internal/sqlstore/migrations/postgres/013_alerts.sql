-- Alerts tell people when a replicator breaks or goes stale. An alert is
-- open (cleared = 0) from the evaluation that found its condition until
-- the one that finds it gone; the partial unique index lets a replicator
-- have one open alert per condition (kind), so two instances that evaluate at
-- once create one alert. reminded is when its last notice went out.
CREATE TABLE alerts (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id        BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    replicator_id BIGINT NOT NULL REFERENCES replicators(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    since         BIGINT NOT NULL,
    opened        BIGINT NOT NULL,
    reminded      BIGINT NOT NULL,
    cleared       BIGINT NOT NULL DEFAULT 0,
    detail        TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX alerts_open ON alerts(replicator_id, kind) WHERE cleared = 0;

-- Where an organisation's notices go. settings holds what may be shown
-- (e-mail recipients); sealed holds the rest (a webhook URL carries its
-- own credentials, a signing secret), sealed like a Client Secret; hint
-- is the part of it shown again.
CREATE TABLE notify_channels (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id   BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    kind     TEXT NOT NULL,
    name     TEXT NOT NULL,
    settings TEXT NOT NULL DEFAULT '',
    sealed   TEXT NOT NULL DEFAULT '',
    hint     TEXT NOT NULL DEFAULT '',
    created  BIGINT NOT NULL
);
CREATE INDEX notify_channels_org ON notify_channels(org_id);

-- One notice to one channel, queued in the transaction that opened,
-- reminded of or cleared its alert, and delivered (with retries) from
-- here: a restart neither loses nor repeats it. status is pending, sent
-- or failed (no attempts left).
CREATE TABLE notifications (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    channel_id   BIGINT NOT NULL REFERENCES notify_channels(id) ON DELETE CASCADE,
    alert_id     BIGINT NOT NULL DEFAULT 0,
    kind         TEXT NOT NULL,
    message      TEXT NOT NULL,
    status       TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt BIGINT NOT NULL,
    created      BIGINT NOT NULL
);
CREATE INDEX notifications_due ON notifications(next_attempt) WHERE status = 'pending';

-- Every delivery attempt, for the notifications log.
CREATE TABLE notification_attempts (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    notification_id BIGINT NOT NULL REFERENCES notifications(id) ON DELETE CASCADE,
    org_id          BIGINT NOT NULL,
    at              BIGINT NOT NULL,
    outcome         TEXT NOT NULL,
    error           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX notification_attempts_org ON notification_attempts(org_id, id);

-- The evaluator runs in one instance at a time: the one holding this
-- lease, renewed on every round.
CREATE TABLE notify_lease (
    name  TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires BIGINT NOT NULL
);
