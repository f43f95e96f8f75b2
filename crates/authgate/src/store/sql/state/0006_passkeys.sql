-- Schema version 6 of the state database beside a config.yaml: the passkeys
-- of the SQLite store's 0006, without `users` and so without a foreign key.
-- They live here, never in the YAML file the app reloads.
CREATE TABLE passkeys (
    credential_id TEXT NOT NULL PRIMARY KEY,
    username      TEXT NOT NULL,
    user_handle   TEXT NOT NULL,
    name          TEXT NOT NULL,
    rp_id         TEXT NOT NULL,
    passkey       TEXT NOT NULL,
    counter       INTEGER NOT NULL,
    created       REAL NOT NULL,
    last_used     REAL
) WITHOUT ROWID;
CREATE UNIQUE INDEX passkeys_by_user ON passkeys (username, name);
