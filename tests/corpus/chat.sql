-- a chat service
CREATE TABLE accounts (id INTEGER PRIMARY KEY, handle TEXT NOT NULL UNIQUE COLLATE NOCASE, display TEXT, avatar BLOB,
                       created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE rooms (id INTEGER PRIMARY KEY, name TEXT NOT NULL, private INTEGER NOT NULL DEFAULT 0, topic TEXT);
CREATE TABLE memberships (room_id INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
                          account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
                          role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'moderator', 'owner')),
                          last_read INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (room_id, account_id)) WITHOUT ROWID;
CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, room_id INTEGER NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
                       sender_id INTEGER REFERENCES accounts (id) ON DELETE SET NULL, body TEXT NOT NULL,
                       reply_to INTEGER REFERENCES messages (id) ON DELETE SET NULL, sent_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
                       deleted INTEGER NOT NULL DEFAULT 0);
CREATE INDEX messages_room_time ON messages (room_id, sent_at);
CREATE INDEX messages_live ON messages (room_id, id) WHERE deleted = 0;
CREATE TRIGGER messages_soft_delete BEFORE DELETE ON messages BEGIN
  SELECT RAISE(ABORT, 'messages are soft-deleted: set deleted = 1');
END;
