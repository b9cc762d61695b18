-- Exact Online's webhooks. The webhook secret is app-wide (shown in the
-- App Center beside the Client Secret) and sealed like it; whether one is
-- set is a column, since nothing of it is ever shown again. A replicator
-- keeps the ID of its subscription in Exact (to remove it on pause and
-- delete), when it began, why webhooks are off ('' while they work), when
-- the last event came, how many increments found changes no event had
-- announced, and whether events wait to be applied (which makes it due).
ALTER TABLE credentials ADD COLUMN webhook_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE replicators ADD COLUMN webhook_secret_set INTEGER NOT NULL DEFAULT 0;
ALTER TABLE replicators ADD COLUMN webhook_subscription TEXT NOT NULL DEFAULT '';
ALTER TABLE replicators ADD COLUMN webhook_since BIGINT NOT NULL DEFAULT 0;
ALTER TABLE replicators ADD COLUMN webhook_message TEXT NOT NULL DEFAULT '';
ALTER TABLE replicators ADD COLUMN webhook_last_event BIGINT NOT NULL DEFAULT 0;
ALTER TABLE replicators ADD COLUMN webhook_gaps BIGINT NOT NULL DEFAULT 0;
ALTER TABLE replicators ADD COLUMN webhook_pending INTEGER NOT NULL DEFAULT 0;

-- Accepted (signed) events. The unique key drops Exact's redeliveries and
-- makes instances behind one load balancer agree: an event is stored once
-- whichever instance got it, and applied once by the instance that holds
-- the replicator's lease. applied is 0 while it waits; applied events are
-- kept a day so that a late redelivery is still recognised.
CREATE TABLE webhook_events (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    replicator_id    BIGINT NOT NULL REFERENCES replicators(id) ON DELETE CASCADE,
    record_key       TEXT NOT NULL,
    event_created_on TEXT NOT NULL,
    action           TEXT NOT NULL,
    event_at         BIGINT NOT NULL,
    received         BIGINT NOT NULL,
    applied          BIGINT NOT NULL DEFAULT 0,
    UNIQUE (replicator_id, record_key, event_created_on)
);
CREATE INDEX webhook_events_pending ON webhook_events(replicator_id, applied);
