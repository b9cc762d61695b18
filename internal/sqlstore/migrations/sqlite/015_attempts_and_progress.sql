-- The last authorization attempt of a replicator, kept after the popup
-- that showed it is closed: when, how it ended ('ok' or 'failed') and, for
-- a failure, what to do about it.
ALTER TABLE replicators ADD COLUMN auth_attempt_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE replicators ADD COLUMN auth_outcome TEXT NOT NULL DEFAULT '';
ALTER TABLE replicators ADD COLUMN auth_fix TEXT NOT NULL DEFAULT '';
-- A run knows how many records its pass is expected to read (0: not
-- known), so a first load shows how far it is, and how large the
-- directory was when it ended (-1: not counted), the history of its size.
ALTER TABLE sync_runs ADD COLUMN expected INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_runs ADD COLUMN directory_size INTEGER NOT NULL DEFAULT -1;
