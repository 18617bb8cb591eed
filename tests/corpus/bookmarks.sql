-- a bookmark manager
CREATE TABLE bookmarks (id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE, title TEXT, added_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
                        visits INTEGER NOT NULL DEFAULT 0, archived INTEGER NOT NULL DEFAULT 0,
                        host TEXT GENERATED ALWAYS AS (substr(url, instr(url, '://') + 3)) VIRTUAL);
CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE);
CREATE TABLE bookmark_tags (bookmark_id INTEGER NOT NULL REFERENCES bookmarks (id) ON DELETE CASCADE,
                            tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE, PRIMARY KEY (bookmark_id, tag_id)) WITHOUT ROWID;
CREATE INDEX bookmarks_recent ON bookmarks (added_at DESC) WHERE archived = 0;
CREATE VIEW tag_counts AS SELECT t.name, count(*) AS n FROM tags t JOIN bookmark_tags bt ON bt.tag_id = t.id GROUP BY t.id;
