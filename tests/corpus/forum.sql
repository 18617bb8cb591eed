-- a discussion forum
CREATE TABLE members (id INTEGER PRIMARY KEY, username TEXT NOT NULL COLLATE NOCASE, email TEXT NOT NULL,
                      karma INTEGER NOT NULL DEFAULT 0, banned_until DATETIME,
                      CONSTRAINT members_username UNIQUE (username), CONSTRAINT members_email UNIQUE (email));
CREATE TABLE boards (id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE CHECK (slug = lower(slug)), title TEXT NOT NULL,
                     position INTEGER NOT NULL DEFAULT 0);
CREATE TABLE topics (id INTEGER PRIMARY KEY, board_id INTEGER NOT NULL REFERENCES boards (id) ON DELETE RESTRICT,
                     starter_id INTEGER NOT NULL REFERENCES members (id), subject TEXT NOT NULL CHECK (length(subject) BETWEEN 3 AND 200),
                     pinned INTEGER NOT NULL DEFAULT 0, locked INTEGER NOT NULL DEFAULT 0, last_post_at DATETIME);
CREATE TABLE replies (id INTEGER PRIMARY KEY, topic_id INTEGER NOT NULL REFERENCES topics (id) ON DELETE CASCADE,
                      author_id INTEGER NOT NULL REFERENCES members (id), body TEXT NOT NULL, posted_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
                      edited_at DATETIME);
CREATE INDEX topics_board_recent ON topics (board_id, pinned DESC, last_post_at DESC);
CREATE INDEX replies_topic ON replies (topic_id, posted_at);
CREATE TRIGGER replies_bump AFTER INSERT ON replies BEGIN
  UPDATE topics SET last_post_at = NEW.posted_at WHERE id = NEW.topic_id;
END;
CREATE VIEW board_stats AS SELECT b.id, b.title, count(t.id) AS topics FROM boards b LEFT JOIN topics t ON t.board_id = b.id GROUP BY b.id;
