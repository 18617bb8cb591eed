-- Inventory: domains with checks and defaults, a composite type, smallserial, brin and INCLUDE indexes,
-- an expression index, a standalone sequence used by a text default.
CREATE DOMAIN positive_int AS integer DEFAULT 1 NOT NULL CONSTRAINT positive_int_check CHECK (VALUE > 0);
CREATE DOMAIN sku AS varchar(16) CONSTRAINT sku_format CHECK (VALUE ~ '^[A-Z]{3}-[0-9]{4,}$');
CREATE TYPE address AS (street text, city text, postcode varchar(10));
CREATE SEQUENCE order_number START WITH 1000 INCREMENT BY 10;
CREATE TABLE warehouse (id smallserial PRIMARY KEY, name text NOT NULL, location address);
CREATE TABLE item (sku sku PRIMARY KEY, name text NOT NULL, unit_cost numeric(12,4) NOT NULL DEFAULT 0);
CREATE INDEX item_lower_name ON item (lower(name));
CREATE TABLE stock (warehouse_id smallint NOT NULL REFERENCES warehouse (id), sku sku NOT NULL REFERENCES item (sku),
    quantity positive_int, counted_at timestamp NOT NULL DEFAULT LOCALTIMESTAMP, PRIMARY KEY (warehouse_id, sku));
CREATE INDEX stock_by_sku ON stock (sku) INCLUDE (quantity);
CREATE TABLE purchase_order (number text PRIMARY KEY DEFAULT 'PO-' || nextval('order_number'),
    sku sku NOT NULL REFERENCES item (sku), quantity positive_int, ordered_at timestamp NOT NULL DEFAULT LOCALTIMESTAMP);
CREATE INDEX purchase_order_when ON purchase_order USING brin (ordered_at);
INSERT INTO warehouse (name, location) VALUES ('North', ROW('1 Quay St', 'Leeds', 'LS1 4AP'));
INSERT INTO item VALUES ('BOL-0001', 'Bolt M6', 0.05), ('NUT-0001', 'Nut M6', 0.02);
INSERT INTO stock (warehouse_id, sku, quantity) VALUES (1, 'BOL-0001', 500), (1, 'NUT-0001', 800);
INSERT INTO purchase_order (sku, quantity) VALUES ('BOL-0001', 1000);
