-- a lending library
CREATE TABLE books (isbn TEXT PRIMARY KEY CHECK (length(isbn) IN (10, 13)), title TEXT NOT NULL, author TEXT NOT NULL,
                    published INTEGER CHECK (published BETWEEN 1450 AND 2100)) WITHOUT ROWID;
CREATE TABLE copies (id INTEGER PRIMARY KEY, isbn TEXT NOT NULL REFERENCES books (isbn) ON UPDATE CASCADE, shelf TEXT NOT NULL,
                     condition TEXT NOT NULL DEFAULT 'good');
CREATE TABLE patrons (card TEXT PRIMARY KEY, name TEXT NOT NULL, joined DATE NOT NULL DEFAULT (date('now'))) WITHOUT ROWID;
CREATE TABLE loans (copy_id INTEGER NOT NULL REFERENCES copies (id), card TEXT NOT NULL REFERENCES patrons (card),
                    out_on DATE NOT NULL DEFAULT (date('now')), due_on DATE NOT NULL, back_on DATE,
                    PRIMARY KEY (copy_id, out_on));
CREATE UNIQUE INDEX loans_one_open ON loans (copy_id) WHERE back_on IS NULL;
CREATE INDEX books_author ON books (author COLLATE NOCASE, title);
CREATE VIEW overdue AS SELECT * FROM loans WHERE back_on IS NULL AND due_on < date('now');
