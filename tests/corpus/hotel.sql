-- hotel reservations
CREATE TABLE room_types (code TEXT PRIMARY KEY, beds INTEGER NOT NULL CHECK (beds > 0), rate_cents INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE rooms (number TEXT PRIMARY KEY, floor INTEGER NOT NULL, type TEXT NOT NULL REFERENCES room_types (code) ON UPDATE CASCADE,
                    out_of_service INTEGER NOT NULL DEFAULT 0);
CREATE TABLE guests (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT COLLATE NOCASE, vip INTEGER NOT NULL DEFAULT 0);
CREATE TABLE reservations (id INTEGER PRIMARY KEY, guest_id INTEGER NOT NULL REFERENCES guests (id),
                           room TEXT REFERENCES rooms (number) ON DELETE SET NULL, arrive DATE NOT NULL, depart DATE NOT NULL,
                           nights INTEGER GENERATED ALWAYS AS (julianday(depart) - julianday(arrive)) STORED,
                           status TEXT NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'in', 'out', 'cancelled')),
                           CHECK (depart > arrive));
CREATE INDEX reservations_dates ON reservations (arrive, depart) WHERE status <> 'cancelled';
CREATE INDEX guests_email ON guests (lower(email));
