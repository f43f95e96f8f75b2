-- Schema version 3. The default brake on password guessing
-- (`crate::throttle`): one row per counter — a client and an account, a
-- client, an account — with its window and back-off. Rows whose window and
-- wait have passed are deleted as attempts come in.
CREATE TABLE throttles (
    key           TEXT NOT NULL PRIMARY KEY,
    attempts      INTEGER NOT NULL,
    window_start  REAL NOT NULL,
    blocked_until REAL
) WITHOUT ROWID;
CREATE INDEX throttles_by_window ON throttles (window_start);
