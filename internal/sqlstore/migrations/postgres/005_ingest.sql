-- Ingest writes a page of entries and their numbers in a few statements.
-- Per row, PostgreSQL checked each foreign key with a query of its own:
-- a quarter of the server's time in a full load. The store removes an
-- entry's numbers and a replicator's entries itself, in the transaction
-- that removes the entry or the replicator.
ALTER TABLE entry_numbers DROP CONSTRAINT entry_numbers_entry_id_fkey;
ALTER TABLE entries DROP CONSTRAINT entries_replicator_id_fkey;
-- Source ids and E.164 numbers are ASCII keys compared for equality:
-- byte order ("C") is correct for them and much cheaper to compare in
-- the indexes than the database's locale.
ALTER TABLE entries ALTER COLUMN source_id SET DATA TYPE TEXT COLLATE "C";
ALTER TABLE entry_numbers ALTER COLUMN e164 SET DATA TYPE TEXT COLLATE "C";
