-- authgate schema version 2 for PostgreSQL: user_count is kept by
-- statement-level triggers.
--
-- Version 1 updated the one user_count row once per inserted or deleted user.
-- Within one transaction each such update adds a version of that row, which
-- every later update walks past (MVCC), so importing n users in one
-- transaction took time quadratic in n (100,000 users: minutes). Triggers
-- that fire once per statement, with the statement's rows as a transition
-- table, change the count once per statement by the number of rows it
-- inserted or deleted. A statement that changes no user leaves user_count
-- alone (no update, no row lock).

DROP TRIGGER users_count ON users;
DROP FUNCTION authgate_count_users();

CREATE FUNCTION authgate_count_inserted_users() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    added BIGINT;
BEGIN
    SELECT count(*) INTO added FROM inserted;
    IF added > 0 THEN
        UPDATE user_count SET n = n + added WHERE id = 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION authgate_count_deleted_users() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    removed BIGINT;
BEGIN
    SELECT count(*) INTO removed FROM deleted;
    IF removed > 0 THEN
        UPDATE user_count SET n = n - removed WHERE id = 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_count_insert AFTER INSERT ON users
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION authgate_count_inserted_users();

CREATE TRIGGER users_count_delete AFTER DELETE ON users
    REFERENCING OLD TABLE AS deleted
    FOR EACH STATEMENT EXECUTE FUNCTION authgate_count_deleted_users();

-- Counted afresh, so the count is exact from here on even if rows were
-- removed behind the old trigger's back (TRUNCATE fires no delete trigger).
UPDATE user_count SET n = (SELECT count(*) FROM users) WHERE id = 1;
