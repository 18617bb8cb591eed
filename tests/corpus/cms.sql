-- a content management system with drafts and slugs
CREATE TABLE sites (id INTEGER PRIMARY KEY, hostname TEXT NOT NULL UNIQUE COLLATE NOCASE, title TEXT NOT NULL);
CREATE TABLE documents (id INTEGER PRIMARY KEY, site_id INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
                        parent_id INTEGER REFERENCES documents (id) ON DELETE CASCADE, slug TEXT NOT NULL CHECK (slug NOT LIKE '%/%'),
                        kind TEXT NOT NULL DEFAULT 'page', title TEXT NOT NULL, body TEXT NOT NULL DEFAULT '',
                        status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'review', 'published')),
                        published_at DATETIME, UNIQUE (site_id, parent_id, slug));
CREATE TABLE document_versions (document_id INTEGER NOT NULL REFERENCES documents (id) ON DELETE CASCADE, version INTEGER NOT NULL,
                                body TEXT NOT NULL, saved_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (document_id, version));
CREATE INDEX documents_published ON documents (site_id, published_at DESC) WHERE status = 'published';
CREATE TRIGGER documents_version AFTER UPDATE OF body ON documents BEGIN
  INSERT INTO document_versions (document_id, version, body)
  VALUES (OLD.id, coalesce((SELECT max(version) FROM document_versions WHERE document_id = OLD.id), 0) + 1, OLD.body);
END;
