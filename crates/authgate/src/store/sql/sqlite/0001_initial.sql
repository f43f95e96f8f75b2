-- authgate schema version 1 for SQLite. See store/sql/mod.rs for what each
-- table holds. Applied once, inside the transaction that records it in
-- schema_version.

-- Accounts. username is the lower-cased key; NULL in a field column means
-- the key is absent from the record. email_key is the trimmed, lower-cased
-- email (computed by authgate), unique. extra holds the record's other keys.
CREATE TABLE users (
    username              TEXT    NOT NULL PRIMARY KEY,
    email                 TEXT,
    email_key             TEXT,
    first_name            TEXT,
    last_name             TEXT,
    name                  TEXT,
    password_hash         TEXT,
    password_plain        INTEGER NOT NULL DEFAULT 0 CHECK (password_plain IN (0, 1)),
    roles                 TEXT    CHECK (roles IS NULL OR json_valid(roles)),
    password_hint         TEXT,
    failed_login_attempts INTEGER,
    logged_in             INTEGER CHECK (logged_in IN (0, 1)),
    extra                 TEXT    CHECK (extra IS NULL OR json_valid(extra))
) WITHOUT ROWID;

CREATE UNIQUE INDEX users_email_key ON users (email_key);

-- Only the rows whose password is not a bcrypt hash: finding them reads
-- nothing else.
CREATE INDEX users_plaintext ON users (username) WHERE password_plain;

-- The number of users, kept by triggers so that counting is O(1).
CREATE TABLE user_count (
    id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO user_count (id, n) VALUES (1, 0);

CREATE TRIGGER users_count_insert AFTER INSERT ON users
BEGIN
    UPDATE user_count SET n = n + 1 WHERE id = 1;
END;

CREATE TRIGGER users_count_delete AFTER DELETE ON users
BEGIN
    UPDATE user_count SET n = n - 1 WHERE id = 1;
END;

-- Failed-login windows and locks.
CREATE TABLE lockouts (
    username     TEXT    NOT NULL PRIMARY KEY
                         REFERENCES users (username) ON DELETE CASCADE,
    failures     INTEGER NOT NULL,
    window_start REAL,
    locked_until REAL
) WITHOUT ROWID;

-- Login sessions.
CREATE TABLE sessions (
    id        TEXT NOT NULL PRIMARY KEY,
    username  TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    created   REAL NOT NULL,
    expires   REAL NOT NULL,
    last_seen REAL NOT NULL
) WITHOUT ROWID;

CREATE INDEX sessions_username ON sessions (username, last_seen);
CREATE INDEX sessions_expires ON sessions (expires);
CREATE INDEX sessions_last_seen ON sessions (last_seen);

-- Passwords issued by forgot_password and not used yet.
CREATE TABLE pending_passwords (
    username TEXT NOT NULL PRIMARY KEY
                  REFERENCES users (username) ON DELETE CASCADE,
    hash     TEXT NOT NULL,
    expires  REAL NOT NULL
) WITHOUT ROWID;

-- Tokens without a session id issued at or before revoked_at are refused.
-- Kept when the user is removed, so that a re-registered name does not
-- revive old cookies.
CREATE TABLE revoked_before (
    username   TEXT NOT NULL PRIMARY KEY,
    revoked_at REAL NOT NULL
) WITHOUT ROWID;

-- The registration allow-list, in order.
CREATE TABLE preauthorized_emails (
    id        INTEGER NOT NULL PRIMARY KEY,
    email     TEXT    NOT NULL,
    email_key TEXT    NOT NULL
);

CREATE INDEX preauthorized_emails_key ON preauthorized_emails (email_key);

-- Settings by name, as JSON: cookie_name, cookie_key, cookie_expiry_days,
-- api_key, oauth2, and any other top-level key of an imported config.
CREATE TABLE settings (
    name  TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL CHECK (json_valid(value))
) WITHOUT ROWID;

-- The audit trail, append-only.
CREATE TABLE audit_events (
    id          INTEGER NOT NULL PRIMARY KEY,
    occurred_at REAL    NOT NULL,
    kind        TEXT    NOT NULL,
    username    TEXT,
    detail      TEXT
);

CREATE INDEX audit_events_time ON audit_events (occurred_at);
