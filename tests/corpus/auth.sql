-- authentication and sessions
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE COLLATE NOCASE, password_hash TEXT NOT NULL,
                    email_verified_at DATETIME, disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
                    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE sessions (token TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                       expires_at DATETIME NOT NULL, user_agent TEXT, ip TEXT) WITHOUT ROWID;
CREATE TABLE api_keys (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                       prefix TEXT NOT NULL UNIQUE CHECK (length(prefix) = 8), hash TEXT NOT NULL, scopes TEXT NOT NULL DEFAULT '[]'
                       CHECK (json_valid(scopes)), revoked_at DATETIME, last_used DATETIME);
CREATE TABLE roles (name TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE user_roles (user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                         role TEXT NOT NULL REFERENCES roles (name) ON UPDATE CASCADE ON DELETE RESTRICT, PRIMARY KEY (user_id, role));
CREATE INDEX sessions_user ON sessions (user_id, expires_at);
CREATE INDEX api_keys_active ON api_keys (user_id) WHERE revoked_at IS NULL;
