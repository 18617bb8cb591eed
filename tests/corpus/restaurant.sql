-- restaurant orders and menu
CREATE TABLE menu_items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, section TEXT NOT NULL, price_cents INTEGER NOT NULL CHECK (price_cents > 0),
                         vegetarian INTEGER NOT NULL DEFAULT 0, available INTEGER NOT NULL DEFAULT 1);
CREATE TABLE tables_ (number INTEGER PRIMARY KEY, seats INTEGER NOT NULL CHECK (seats BETWEEN 1 AND 20));
CREATE TABLE orders (id INTEGER PRIMARY KEY, table_number INTEGER NOT NULL REFERENCES tables_ (number), opened_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
                     closed_at DATETIME, tip_cents INTEGER NOT NULL DEFAULT 0);
CREATE TABLE order_items (order_id INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE, n INTEGER NOT NULL,
                          item_id INTEGER NOT NULL REFERENCES menu_items (id), qty INTEGER NOT NULL DEFAULT 1 CHECK (qty > 0),
                          note TEXT, PRIMARY KEY (order_id, n));
CREATE INDEX orders_open ON orders (table_number) WHERE closed_at IS NULL;
