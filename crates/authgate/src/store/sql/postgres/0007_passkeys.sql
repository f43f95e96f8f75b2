-- Schema version 7 (6 is the sessions column of another change). Passkeys
-- (see the SQLite store's 0006): WebAuthn credentials keyed by their
-- credential id, unique across users, with the owner's user handle, the
-- relying-party id, webauthn-rs's record (JSON) and the signature counter.
CREATE TABLE passkeys (
    credential_id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    username      TEXT COLLATE "C" NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    user_handle   TEXT COLLATE "C" NOT NULL,
    name          TEXT COLLATE "C" NOT NULL,
    rp_id         TEXT COLLATE "C" NOT NULL,
    passkey       TEXT NOT NULL,
    counter       BIGINT NOT NULL,
    created       DOUBLE PRECISION NOT NULL,
    last_used     DOUBLE PRECISION
);
CREATE UNIQUE INDEX passkeys_by_user ON passkeys (username, name);
