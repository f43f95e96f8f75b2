-- Schema version 6 (5 is the sessions column of another change). Passkeys
-- (`crate::passkey`): WebAuthn credentials, each keyed by its credential id,
-- which is unique across users (an authenticator draws it at random), with
-- the user handle discoverable sign-in names its owner by, the relying-party
-- id it signs for, webauthn-rs's record of it (public key, counter, flags,
-- JSON) and its signature counter, raised by every use.
CREATE TABLE passkeys (
    credential_id TEXT NOT NULL PRIMARY KEY,
    username      TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    user_handle   TEXT NOT NULL,
    name          TEXT NOT NULL,
    rp_id         TEXT NOT NULL,
    passkey       TEXT NOT NULL,
    counter       INTEGER NOT NULL,
    created       REAL NOT NULL,
    last_used     REAL
) WITHOUT ROWID;
CREATE UNIQUE INDEX passkeys_by_user ON passkeys (username, name);
