-- State schema version 2: as the SQLite store's 0002, for the state
-- database beside a config.yaml.
ALTER TABLE sessions ADD COLUMN credential TEXT;

-- An operator's lock (`authgate users lock`), kept apart from the lock that
-- failed attempts set: opening a session resets the failures and never
-- lifts it.
ALTER TABLE lockouts ADD COLUMN disabled_until REAL;

-- 0.4.2 cookies (no session id) exchanged for a session, by the SHA-256 of
-- the token: each is accepted once.
CREATE TABLE consumed_legacy_tokens (
    digest   TEXT NOT NULL PRIMARY KEY,
    username TEXT NOT NULL,
    used_at  REAL NOT NULL
) WITHOUT ROWID;

-- Settings authgate makes for a config.yaml that lacks them: the cookie key
-- it generates when `cookie.key` is missing (kept here, not in the YAML,
-- which is often committed). Values are JSON, as the SQLite store's.
CREATE TABLE settings (
    name  TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL CHECK (json_valid(value))
) WITHOUT ROWID;

-- The OpenID Connect identity (issuer and subject) a guest account belongs
-- to, bound at its first login: another provider, or another person given
-- the same address, asserting the same email does not get the account.
CREATE TABLE guest_identities (
    username TEXT NOT NULL PRIMARY KEY,
    issuer   TEXT NOT NULL,
    subject  TEXT NOT NULL
) WITHOUT ROWID;
