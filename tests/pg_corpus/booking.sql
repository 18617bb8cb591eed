-- Room bookings: ranges, a gist index over a range and a btree_gist index mixing a scalar, a domain.
-- needs: btree_gist
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE DOMAIN room_code AS text CONSTRAINT room_code_check CHECK (VALUE ~ '^[A-Z][0-9]{3}$');
CREATE TABLE room (code room_code PRIMARY KEY, floor smallint NOT NULL, seats integer NOT NULL DEFAULT 4);
CREATE TABLE booking (id bigserial PRIMARY KEY, room room_code NOT NULL REFERENCES room (code) ON UPDATE CASCADE,
    during tstzrange NOT NULL, booked_by text NOT NULL, note text COLLATE "C");
CREATE INDEX booking_room_during ON booking USING gist (room, during);
CREATE INDEX booking_during ON booking USING gist (during);
CREATE INDEX booking_by_pattern ON booking (booked_by text_pattern_ops);
CREATE VIEW busy_rooms AS SELECT room, count(*) AS bookings FROM booking GROUP BY room;
INSERT INTO room VALUES ('A101', 1, 6), ('B201', 2, 10);
INSERT INTO booking (room, during, booked_by) VALUES ('A101', tstzrange('2026-01-05 09:00+00', '2026-01-05 10:00+00'), 'ana'),
    ('B201', tstzrange('2026-01-05 09:30+00', '2026-01-05 11:00+00'), 'bo');
