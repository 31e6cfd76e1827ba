-- Console sessions kept on the server, so that logging out, a new password
-- and disabling an account end them at once (a signed cookie alone stayed
-- valid until it expired). Only a session token's SHA-256 is stored.
CREATE TABLE sessions (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    hash        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expiry ON sessions(expires_at);
-- A disabled account cannot sign in; when each account last signed in and
-- each API token was last used, for the accounts page.
ALTER TABLE users ADD COLUMN disabled_at INTEGER;
ALTER TABLE users ADD COLUMN last_login_at INTEGER;
ALTER TABLE api_tokens ADD COLUMN last_used_at INTEGER;
