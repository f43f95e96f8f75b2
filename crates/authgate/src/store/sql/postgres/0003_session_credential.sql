-- Schema version 3: each session remembers the credential version of the
-- password it was opened with (see the SQLite store's 0002).
ALTER TABLE sessions ADD COLUMN credential TEXT;
