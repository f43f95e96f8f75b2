-- authgate schema version 1 for PostgreSQL. See store/sql/mod.rs for what
-- each table holds. Applied once, inside the transaction that records it in
-- schema_version, in the schema first on the connection's search_path.
--
-- Usernames sort by code point (COLLATE "C"), as in config.yaml and SQLite,
-- whatever the database's locale.

-- Accounts. username is the lower-cased key; NULL in a field column means
-- the key is absent from the record. email_key is the trimmed, lower-cased
-- email (computed by authgate), unique. extra holds the record's other keys.
CREATE TABLE users (
    username              TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    email                 TEXT,
    email_key             TEXT,
    first_name            TEXT,
    last_name             TEXT,
    name                  TEXT,
    password_hash         TEXT,
    password_plain        BOOLEAN NOT NULL DEFAULT FALSE,
    roles                 JSON,
    password_hint         TEXT,
    failed_login_attempts BIGINT,
    logged_in             BOOLEAN,
    extra                 JSON
);

CREATE UNIQUE INDEX users_email_key ON users (email_key);

-- Only the rows whose password is not a bcrypt hash: finding them reads
-- nothing else.
CREATE INDEX users_plaintext ON users (username) WHERE password_plain;

-- The number of users, kept by a trigger so that counting is O(1).
CREATE TABLE user_count (
    id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    n  BIGINT  NOT NULL
);
INSERT INTO user_count (id, n) VALUES (1, 0);

CREATE FUNCTION authgate_count_users() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE user_count SET n = n + 1 WHERE id = 1;
    ELSE
        UPDATE user_count SET n = n - 1 WHERE id = 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_count AFTER INSERT OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION authgate_count_users();

-- Failed-login windows and locks.
CREATE TABLE lockouts (
    username     TEXT COLLATE "C" NOT NULL PRIMARY KEY
                      REFERENCES users (username) ON DELETE CASCADE,
    failures     BIGINT NOT NULL,
    window_start DOUBLE PRECISION,
    locked_until DOUBLE PRECISION
);

-- Login sessions.
CREATE TABLE sessions (
    id        TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    username  TEXT COLLATE "C" NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    created   DOUBLE PRECISION NOT NULL,
    expires   DOUBLE PRECISION NOT NULL,
    last_seen DOUBLE PRECISION NOT NULL
);

CREATE INDEX sessions_username ON sessions (username, last_seen);
CREATE INDEX sessions_expires ON sessions (expires);
CREATE INDEX sessions_last_seen ON sessions (last_seen);

-- Passwords issued by forgot_password and not used yet.
CREATE TABLE pending_passwords (
    username TEXT COLLATE "C" NOT NULL PRIMARY KEY
                  REFERENCES users (username) ON DELETE CASCADE,
    hash     TEXT NOT NULL,
    expires  DOUBLE PRECISION NOT NULL
);

-- Tokens without a session id issued at or before revoked_at are refused.
-- Kept when the user is removed, so that a re-registered name does not
-- revive old cookies.
CREATE TABLE revoked_before (
    username   TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    revoked_at DOUBLE PRECISION NOT NULL
);

-- The registration allow-list, in order.
CREATE TABLE preauthorized_emails (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email     TEXT NOT NULL,
    email_key TEXT NOT NULL
);

CREATE INDEX preauthorized_emails_key ON preauthorized_emails (email_key);

-- Settings by name, as JSON: cookie_name, cookie_key, cookie_expiry_days,
-- api_key, oauth2, and any other top-level key of an imported config.
CREATE TABLE settings (
    name  TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    value JSON NOT NULL
);

-- The audit trail, append-only.
CREATE TABLE audit_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at DOUBLE PRECISION NOT NULL,
    kind        TEXT NOT NULL,
    username    TEXT,
    detail      TEXT
);

CREATE INDEX audit_events_time ON audit_events (occurred_at);
