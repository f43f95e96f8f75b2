-- Schema version 5. Second factors (see the SQLite store's 0004): the
-- sealed TOTP secret with the last time step accepted, and recovery codes
-- as keyed digests, each used once.
CREATE TABLE second_factors (
    username  TEXT COLLATE "C" NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    kind      TEXT COLLATE "C" NOT NULL,
    secret    TEXT NOT NULL,
    last_step BIGINT,
    created   DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (username, kind)
);
CREATE TABLE recovery_codes (
    username TEXT COLLATE "C" NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    digest   TEXT COLLATE "C" NOT NULL,
    used_at  DOUBLE PRECISION,
    PRIMARY KEY (username, digest)
);
