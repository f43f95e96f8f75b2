-- Schema version 2: each session remembers the credential version of the
-- password it was opened with, so that hashing a plaintext password carries
-- it over and only a real password change ends it.
ALTER TABLE sessions ADD COLUMN credential TEXT;
