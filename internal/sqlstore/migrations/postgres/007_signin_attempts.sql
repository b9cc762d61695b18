-- Sign-in attempts, counted in the database so that every instance holds
-- to the same limits. A row is one attempt against one key (a hash of the
-- e-mail address typed, or of the client's address); an attempt counts
-- before its password is checked and is taken back when it succeeds.
-- Rows older than the throttle's window are deleted.
CREATE TABLE signin_attempts (
    attempt TEXT NOT NULL,
    key     TEXT NOT NULL,
    at      BIGINT NOT NULL,
    PRIMARY KEY (attempt, key)
);
CREATE INDEX signin_attempts_key ON signin_attempts(key, at);
CREATE INDEX signin_attempts_at ON signin_attempts(at);
