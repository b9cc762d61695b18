-- The country that read an entry's national numbers and where it came
-- from: the record's own Country, its account's, or the replicator's
-- default ('record', 'account', 'replicator'; '' for entries stored
-- before it was kept).
ALTER TABLE entries ADD COLUMN country TEXT NOT NULL DEFAULT '';
ALTER TABLE entries ADD COLUMN country_from TEXT NOT NULL DEFAULT '';

-- A contacts replicator keeps its accounts' countries, read incrementally
-- from sync/CRM/Accounts with a cursor of its own, so that a contact
-- without a country of its own is read with its account's.
CREATE TABLE account_countries (
    replicator_id BIGINT NOT NULL REFERENCES replicators(id) ON DELETE CASCADE,
    account_id    TEXT NOT NULL,
    country       TEXT NOT NULL,
    timestamp     BIGINT NOT NULL,
    PRIMARY KEY (replicator_id, account_id)
);
ALTER TABLE replicators ADD COLUMN account_countries_cursor BIGINT NOT NULL DEFAULT 0;
-- The __next link an interrupted read of them goes on with, as resume_url
-- is for records.
ALTER TABLE replicators ADD COLUMN account_countries_resume_url TEXT NOT NULL DEFAULT '';
-- Contacts replicators that already read their contacts did so without
-- their accounts' countries: -1 makes their next run a full pass, which
-- reads the accounts first and then every contact again.
UPDATE replicators SET account_countries_cursor = -1 WHERE entity = 'contacts' AND pass > 0;
