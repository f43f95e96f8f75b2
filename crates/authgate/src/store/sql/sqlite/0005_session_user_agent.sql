-- The browser each session logged in from, for the user's list of sessions.
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
