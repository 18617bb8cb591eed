-- event ticketing
CREATE TABLE venues (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT NOT NULL, capacity INTEGER NOT NULL CHECK (capacity > 0));
CREATE TABLE events (id INTEGER PRIMARY KEY, venue_id INTEGER NOT NULL REFERENCES venues (id), title TEXT NOT NULL,
                     starts_at DATETIME NOT NULL, ends_at DATETIME, status TEXT NOT NULL DEFAULT 'draft'
                     CHECK (status IN ('draft', 'on_sale', 'sold_out', 'cancelled')), CHECK (ends_at IS NULL OR ends_at > starts_at));
CREATE TABLE ticket_types (id INTEGER PRIMARY KEY, event_id INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
                           name TEXT NOT NULL, price_cents INTEGER NOT NULL CHECK (price_cents >= 0), quota INTEGER NOT NULL,
                           UNIQUE (event_id, name));
CREATE TABLE tickets (code TEXT PRIMARY KEY, ticket_type_id INTEGER NOT NULL REFERENCES ticket_types (id), holder_email TEXT NOT NULL COLLATE NOCASE,
                      sold_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, scanned_at DATETIME) WITHOUT ROWID;
CREATE INDEX tickets_holder ON tickets (holder_email);
CREATE INDEX events_upcoming ON events (starts_at) WHERE status = 'on_sale';
