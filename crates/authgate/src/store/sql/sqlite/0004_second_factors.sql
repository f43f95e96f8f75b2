-- Schema version 4. Second factors (`crate::second_factor`): a user's TOTP
-- secret, sealed under a key derived from the cookie key (or `totp_key`),
-- with the last time step a code was accepted for (no replay); and their
-- recovery codes, as keyed digests, each used once. A row exists only once
-- enrolment was confirmed with a right code.
CREATE TABLE second_factors (
    username  TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    kind      TEXT NOT NULL,
    secret    TEXT NOT NULL,
    last_step INTEGER,
    created   REAL NOT NULL,
    PRIMARY KEY (username, kind)
) WITHOUT ROWID;
CREATE TABLE recovery_codes (
    username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    digest   TEXT NOT NULL,
    used_at  REAL,
    PRIMARY KEY (username, digest)
) WITHOUT ROWID;
