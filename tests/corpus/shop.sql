-- shop
CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE COLLATE NOCASE,
                        country TEXT NOT NULL DEFAULT 'US' CHECK (length(country) = 2)) STRICT;
CREATE TABLE products (sku TEXT PRIMARY KEY, name TEXT NOT NULL, price_cents INTEGER NOT NULL
                       CHECK (price_cents >= 0), stock INTEGER NOT NULL DEFAULT 0) STRICT;
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers (id),
                     placed_at TEXT NOT NULL DEFAULT (datetime('now')), status TEXT NOT NULL DEFAULT 'new'
                     CHECK (status IN ('new', 'paid', 'shipped', 'cancelled')));
CREATE TABLE order_lines (order_id INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
                          sku TEXT NOT NULL REFERENCES products (sku), qty INTEGER NOT NULL CHECK (qty > 0),
                          total_cents INTEGER GENERATED ALWAYS AS (qty * 100) STORED,
                          PRIMARY KEY (order_id, sku));
CREATE INDEX idx_orders_customer ON orders (customer_id, placed_at);
CREATE INDEX idx_products_lower ON products (lower(name));
