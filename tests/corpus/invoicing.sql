-- invoicing for a small business
CREATE TABLE clients (id INTEGER PRIMARY KEY, name TEXT NOT NULL, vat_number TEXT UNIQUE, currency TEXT NOT NULL DEFAULT 'EUR'
                      CHECK (length(currency) = 3), archived INTEGER NOT NULL DEFAULT 0);
CREATE TABLE invoices (id INTEGER PRIMARY KEY, client_id INTEGER NOT NULL REFERENCES clients (id), number TEXT NOT NULL UNIQUE,
                       issued_on DATE NOT NULL, due_on DATE NOT NULL, paid_on DATE, CHECK (due_on >= issued_on));
CREATE TABLE invoice_items (invoice_id INTEGER NOT NULL REFERENCES invoices (id) ON DELETE CASCADE, line INTEGER NOT NULL,
                            description TEXT NOT NULL, quantity REAL NOT NULL DEFAULT 1 CHECK (quantity > 0),
                            unit_price NUMERIC(12, 2) NOT NULL, vat_rate REAL NOT NULL DEFAULT 0.2,
                            amount REAL GENERATED ALWAYS AS (quantity * unit_price) STORED, PRIMARY KEY (invoice_id, line));
CREATE INDEX invoices_unpaid ON invoices (due_on) WHERE paid_on IS NULL;
CREATE VIEW invoice_totals AS SELECT invoice_id, sum(amount) AS net, sum(amount * (1 + vat_rate)) AS gross FROM invoice_items GROUP BY invoice_id;
