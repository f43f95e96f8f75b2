-- State schema version 2: as the SQLite store's 0002, for the state
-- database beside a config.yaml.
ALTER TABLE sessions ADD COLUMN credential TEXT;
