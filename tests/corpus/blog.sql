-- blog
CREATE TABLE authors (id INTEGER PRIMARY KEY, handle TEXT NOT NULL COLLATE NOCASE UNIQUE,
                      bio TEXT CHECK (length(bio) <= 500));
CREATE TABLE posts (id INTEGER PRIMARY KEY AUTOINCREMENT,
                    author_id INTEGER NOT NULL REFERENCES authors (id) ON DELETE CASCADE,
                    slug TEXT NOT NULL UNIQUE, title TEXT NOT NULL, body TEXT NOT NULL DEFAULT '',
                    published_at DATETIME, updated_at DATETIME DEFAULT CURRENT_TIMESTAMP);
CREATE INDEX idx_posts_published ON posts (published_at DESC) WHERE published_at IS NOT NULL;
CREATE TABLE tags (name TEXT PRIMARY KEY COLLATE NOCASE) WITHOUT ROWID;
CREATE TABLE post_tags (post_id INTEGER REFERENCES posts (id) ON DELETE CASCADE,
                        tag TEXT REFERENCES tags (name) ON UPDATE CASCADE, PRIMARY KEY (post_id, tag));
CREATE VIEW published AS SELECT * FROM posts WHERE published_at IS NOT NULL;
CREATE TRIGGER posts_touch AFTER UPDATE OF body ON posts BEGIN
  UPDATE posts SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
