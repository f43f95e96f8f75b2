-- authgate's state beside a config.yaml, schema version 1 (SQLite). The
-- users stay in the YAML file; these tables are the state tables of the
-- SQLite store's schema, without the foreign keys to its users table. The
-- store removes a user's rows when it removes the user from the file.

-- Failed-login windows and locks.
CREATE TABLE lockouts (
    username     TEXT    NOT NULL PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start REAL,
    locked_until REAL
) WITHOUT ROWID;

-- Login sessions.
CREATE TABLE sessions (
    id        TEXT NOT NULL PRIMARY KEY,
    username  TEXT NOT NULL,
    created   REAL NOT NULL,
    expires   REAL NOT NULL,
    last_seen REAL NOT NULL
) WITHOUT ROWID;

CREATE INDEX sessions_username ON sessions (username, last_seen);
CREATE INDEX sessions_expires ON sessions (expires);
CREATE INDEX sessions_last_seen ON sessions (last_seen);

-- Passwords issued by forgot_password and not used yet.
CREATE TABLE pending_passwords (
    username TEXT NOT NULL PRIMARY KEY,
    hash     TEXT NOT NULL,
    expires  REAL NOT NULL
) WITHOUT ROWID;

-- Tokens without a session id issued at or before revoked_at are refused.
CREATE TABLE revoked_before (
    username   TEXT NOT NULL PRIMARY KEY,
    revoked_at REAL NOT NULL
) WITHOUT ROWID;
