-- a wiki: pages, revisions, links
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE, created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE pages (id INTEGER PRIMARY KEY, namespace INTEGER NOT NULL DEFAULT 0, title TEXT NOT NULL,
                    latest_rev INTEGER, is_redirect INTEGER NOT NULL DEFAULT 0 CHECK (is_redirect IN (0, 1)),
                    UNIQUE (namespace, title));
CREATE TABLE revisions (id INTEGER PRIMARY KEY AUTOINCREMENT, page_id INTEGER NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
                        author_id INTEGER REFERENCES users (id) ON DELETE SET NULL, body TEXT NOT NULL,
                        comment TEXT DEFAULT '', size INTEGER GENERATED ALWAYS AS (length(body)) VIRTUAL,
                        made_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE links (from_page INTEGER NOT NULL REFERENCES pages (id) ON DELETE CASCADE, to_namespace INTEGER NOT NULL,
                    to_title TEXT NOT NULL, PRIMARY KEY (from_page, to_namespace, to_title)) WITHOUT ROWID;
CREATE INDEX revisions_page_time ON revisions (page_id, made_at DESC);
CREATE INDEX links_target ON links (to_namespace, to_title);
