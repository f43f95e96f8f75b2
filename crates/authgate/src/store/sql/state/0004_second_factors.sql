-- Schema version 4 of the state database beside a config.yaml: the second
-- factors of the SQLite store's 0004, without `users` and so without
-- foreign keys. They live here, never in the YAML file the app reloads.
CREATE TABLE second_factors (
    username  TEXT NOT NULL,
    kind      TEXT NOT NULL,
    secret    TEXT NOT NULL,
    last_step INTEGER,
    created   REAL NOT NULL,
    PRIMARY KEY (username, kind)
) WITHOUT ROWID;
CREATE TABLE recovery_codes (
    username TEXT NOT NULL,
    digest   TEXT NOT NULL,
    used_at  REAL,
    PRIMARY KEY (username, digest)
) WITHOUT ROWID;
