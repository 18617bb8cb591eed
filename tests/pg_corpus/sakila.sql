-- Sakila as its PostgreSQL port writes it: an enum and a domain, sequences its keys draw from, a
-- trigger function on every table, staff <-> store referencing each other, a gist full-text index.
CREATE TYPE mpaa_rating AS ENUM ('G', 'PG', 'PG-13', 'R', 'NC-17');
CREATE DOMAIN year AS integer CONSTRAINT year_check CHECK (((VALUE >= 1901) AND (VALUE <= 2155)));
CREATE FUNCTION last_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.last_update = CURRENT_TIMESTAMP;
    RETURN NEW;
END $$;
CREATE SEQUENCE actor_actor_id_seq INCREMENT BY 1 NO MAXVALUE NO MINVALUE CACHE 1;
CREATE TABLE actor (actor_id integer DEFAULT nextval('actor_actor_id_seq'::regclass) NOT NULL,
    first_name text NOT NULL, last_name text NOT NULL, last_update timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT actor_pkey PRIMARY KEY (actor_id));
CREATE INDEX idx_actor_last_name ON actor USING btree (last_name);
CREATE SEQUENCE language_language_id_seq;
CREATE TABLE language (language_id integer DEFAULT nextval('language_language_id_seq'::regclass) NOT NULL,
    name character(20) NOT NULL, last_update timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT language_pkey PRIMARY KEY (language_id));
CREATE SEQUENCE film_film_id_seq;
CREATE TABLE film (film_id integer DEFAULT nextval('film_film_id_seq'::regclass) NOT NULL, title text NOT NULL,
    description text, release_year year, language_id integer NOT NULL REFERENCES language (language_id)
    ON UPDATE CASCADE ON DELETE RESTRICT, rental_duration smallint DEFAULT 3 NOT NULL,
    rental_rate numeric(4,2) DEFAULT 4.99 NOT NULL, length smallint, rating mpaa_rating DEFAULT 'G'::mpaa_rating,
    last_update timestamp with time zone DEFAULT now() NOT NULL, special_features text[], fulltext tsvector NOT NULL,
    CONSTRAINT film_pkey PRIMARY KEY (film_id));
CREATE INDEX film_fulltext_idx ON film USING gist (fulltext);
CREATE INDEX idx_title ON film USING btree (title);
CREATE TABLE film_actor (actor_id integer NOT NULL REFERENCES actor (actor_id) ON UPDATE CASCADE ON DELETE RESTRICT,
    film_id integer NOT NULL REFERENCES film (film_id) ON UPDATE CASCADE ON DELETE RESTRICT,
    last_update timestamp with time zone DEFAULT now() NOT NULL, CONSTRAINT film_actor_pkey PRIMARY KEY (actor_id, film_id));
CREATE SEQUENCE store_store_id_seq;
CREATE SEQUENCE staff_staff_id_seq;
CREATE TABLE store (store_id integer DEFAULT nextval('store_store_id_seq'::regclass) NOT NULL,
    manager_staff_id integer NOT NULL, last_update timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT store_pkey PRIMARY KEY (store_id));
CREATE TABLE staff (staff_id integer DEFAULT nextval('staff_staff_id_seq'::regclass) NOT NULL,
    first_name text NOT NULL, last_name text NOT NULL, email text, store_id integer NOT NULL,
    active boolean DEFAULT true NOT NULL, username text NOT NULL, password text,
    last_update timestamp with time zone DEFAULT now() NOT NULL, picture bytea, CONSTRAINT staff_pkey PRIMARY KEY (staff_id));
ALTER TABLE store ADD CONSTRAINT store_manager_staff_id_fkey FOREIGN KEY (manager_staff_id) REFERENCES staff (staff_id)
    ON UPDATE CASCADE ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE staff ADD CONSTRAINT staff_store_id_fkey FOREIGN KEY (store_id) REFERENCES store (store_id)
    ON UPDATE CASCADE ON DELETE RESTRICT DEFERRABLE INITIALLY DEFERRED;
CREATE UNIQUE INDEX idx_unq_manager_staff_id ON store USING btree (manager_staff_id);
CREATE TRIGGER last_updated BEFORE UPDATE ON actor FOR EACH ROW EXECUTE FUNCTION last_updated();
CREATE TRIGGER last_updated BEFORE UPDATE ON film FOR EACH ROW EXECUTE FUNCTION last_updated();
CREATE TRIGGER last_updated BEFORE UPDATE ON language FOR EACH ROW EXECUTE FUNCTION last_updated();
CREATE TRIGGER last_updated BEFORE UPDATE ON store FOR EACH ROW EXECUTE FUNCTION last_updated();
CREATE TRIGGER last_updated BEFORE UPDATE ON staff FOR EACH ROW EXECUTE FUNCTION last_updated();
CREATE VIEW actor_info AS SELECT a.actor_id, a.first_name, a.last_name, count(fa.film_id) AS films
    FROM actor a LEFT JOIN film_actor fa ON fa.actor_id = a.actor_id GROUP BY a.actor_id, a.first_name, a.last_name;
INSERT INTO actor (first_name, last_name) VALUES ('PENELOPE', 'GUINESS'), ('NICK', 'WAHLBERG');
INSERT INTO language (name) VALUES ('English');
INSERT INTO film (title, release_year, language_id, rating, special_features, fulltext)
    VALUES ('ACADEMY DINOSAUR', 2006, 1, 'PG', '{"Deleted Scenes","Behind the Scenes"}', to_tsvector('academy dinosaur'));
INSERT INTO film_actor (actor_id, film_id) VALUES (1, 1), (2, 1);
BEGIN;
INSERT INTO store (manager_staff_id) VALUES (1);
INSERT INTO staff (first_name, last_name, store_id, username) VALUES ('Mike', 'Hillyer', 1, 'Mike');
COMMIT;
