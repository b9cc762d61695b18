-- Two states were encodings: the phase of an unfinished pass was whether
-- its resume link pointed at sync/Deleted, and a "Sync now" request was a
-- next sync time of 1 ms after the epoch. Each gets a column of its own,
-- and the rows that used the encodings are converted.
ALTER TABLE replicators ADD COLUMN sync_phase TEXT NOT NULL DEFAULT 'records';
ALTER TABLE replicators ADD COLUMN sync_requested INTEGER NOT NULL DEFAULT 0;
UPDATE replicators SET sync_phase = 'deletions' WHERE instr(resume_url, '/sync/Deleted') > 0;
-- A requested sync was due at once: it stays due through the flag.
UPDATE replicators SET sync_requested = 1, next_sync_at = 0 WHERE next_sync_at = 1;
