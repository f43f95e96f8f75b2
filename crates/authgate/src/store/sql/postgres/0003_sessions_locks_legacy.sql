-- Schema version 3. Each session remembers the credential version of the
-- password it was opened with (see the SQLite store's 0002).
ALTER TABLE sessions ADD COLUMN credential TEXT;

-- An operator's lock (`authgate users lock`), kept apart from the lock that
-- failed attempts set: opening a session resets the failures and never
-- lifts it.
ALTER TABLE lockouts ADD COLUMN disabled_until DOUBLE PRECISION;

-- 0.4.2 cookies (no session id) exchanged for a session, by the SHA-256 of
-- the token: each is accepted once.
CREATE TABLE consumed_legacy_tokens (
    digest   TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    username TEXT COLLATE "C" NOT NULL,
    used_at  DOUBLE PRECISION NOT NULL
);

-- The OpenID Connect identity (issuer and subject) a guest account belongs
-- to, bound at its first login (see the SQLite store's 0002).
CREATE TABLE guest_identities (
    username TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    issuer   TEXT NOT NULL,
    subject  TEXT NOT NULL
);
