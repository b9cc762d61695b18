-- A token refresh is claimed with a lease on the credentials row instead
-- of a lock held through the call to Exact's token endpoint: the owner
-- (one store handle), the process that holds it (so a claimer on the
-- same host can see it is gone) and until when it lasts.
ALTER TABLE credentials ADD COLUMN refresh_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE credentials ADD COLUMN refresh_process TEXT NOT NULL DEFAULT '';
ALTER TABLE credentials ADD COLUMN refresh_until BIGINT NOT NULL DEFAULT 0;
-- The process holding a replicator's sync lease, for the same reason.
ALTER TABLE replicators ADD COLUMN lease_process TEXT NOT NULL DEFAULT '';
