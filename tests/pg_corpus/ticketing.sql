-- Event ticketing: an enum with many labels, a multi-column unique constraint, a composite foreign key
-- that may point forward (DEFERRABLE), a STORED total, a sequence-drawn text default, NULLS NOT DISTINCT.
CREATE TYPE ticket_state AS ENUM ('reserved', 'paid', 'checked_in', 'refunded', 'void');
CREATE SEQUENCE order_ref START WITH 5000;
CREATE TABLE venue (id serial PRIMARY KEY, name text NOT NULL, capacity integer NOT NULL CHECK (capacity > 0));
CREATE TABLE event (venue_id integer NOT NULL REFERENCES venue (id) DEFERRABLE, starts_at timestamptz NOT NULL, title text NOT NULL,
    PRIMARY KEY (venue_id, starts_at));
CREATE TABLE orders (ref text PRIMARY KEY DEFAULT 'ORD-' || lpad(nextval('order_ref')::text, 8, '0'),
    buyer_email text NOT NULL, quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 10),
    unit_price numeric(8,2) NOT NULL, total numeric(10,2) GENERATED ALWAYS AS (quantity * unit_price) STORED);
CREATE TABLE ticket (id bigserial PRIMARY KEY, order_ref text NOT NULL REFERENCES orders (ref),
    venue_id integer NOT NULL, starts_at timestamptz NOT NULL, seat text, state ticket_state NOT NULL DEFAULT 'reserved',
    FOREIGN KEY (venue_id, starts_at) REFERENCES event (venue_id, starts_at) DEFERRABLE INITIALLY DEFERRED,
    UNIQUE NULLS NOT DISTINCT (venue_id, starts_at, seat));
CREATE INDEX ticket_state_idx ON ticket (state) WHERE state IN ('reserved', 'paid');
INSERT INTO venue (name, capacity) VALUES ('Hall', 500);
BEGIN;
INSERT INTO orders (buyer_email, quantity, unit_price) VALUES ('a@example.com', 2, 35.00);
INSERT INTO ticket (order_ref, venue_id, starts_at, seat, state)
    SELECT ref, 1, '2026-06-01 19:00+00', 'A1', 'paid' FROM orders;
INSERT INTO event VALUES (1, '2026-06-01 19:00+00', 'Opening night');
COMMIT;
