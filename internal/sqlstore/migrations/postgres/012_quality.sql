-- The data-quality report lists a replicator's entries with a problem
-- number (one that did not parse, lies in an unlisted range, or was read
-- with a guessed country), grouped by problem and paged. quality holds
-- each entry's problems as a set of bits (roger.QualitySet), set when the
-- entry is written; the partial index holds only the entries with one,
-- in id order with their set, so a page of one group and the counts of
-- all are read from the index alone. The store fills the column for the
-- entries already stored, in the same transaction (fillQuality).
ALTER TABLE entries ADD COLUMN quality INTEGER NOT NULL DEFAULT 0;
CREATE INDEX entries_quality ON entries(replicator_id, id, quality) WHERE quality <> 0;
