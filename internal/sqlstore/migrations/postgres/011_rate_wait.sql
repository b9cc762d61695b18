-- A sync that must wait for Exact's rate limit gives its worker and its
-- lease back. The replicator says until when it waits (and whether for
-- the day's reset), and its run stays one run across the waits: it is
-- 'waiting' meanwhile, since when, and counts its waits and their time.
ALTER TABLE replicators ADD COLUMN rate_wait_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE replicators ADD COLUMN rate_wait_daily INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_runs ADD COLUMN waits INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_runs ADD COLUMN waited_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_runs ADD COLUMN wait_started BIGINT NOT NULL DEFAULT 0;
