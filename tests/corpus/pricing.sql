-- dynamic pricing: products, competitors, price history
CREATE TABLE products (id INTEGER PRIMARY KEY, sku TEXT NOT NULL UNIQUE, name TEXT NOT NULL, cost_cents INTEGER NOT NULL CHECK (cost_cents >= 0),
                       floor_cents INTEGER, ceiling_cents INTEGER, CHECK (floor_cents IS NULL OR ceiling_cents IS NULL OR floor_cents <= ceiling_cents));
CREATE TABLE competitors (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE, url TEXT);
CREATE TABLE observations (product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
                           competitor_id INTEGER NOT NULL REFERENCES competitors (id) ON DELETE CASCADE,
                           seen_at DATETIME NOT NULL, price_cents INTEGER NOT NULL CHECK (price_cents > 0), in_stock INTEGER NOT NULL DEFAULT 1,
                           PRIMARY KEY (product_id, competitor_id, seen_at)) WITHOUT ROWID;
CREATE TABLE prices (id INTEGER PRIMARY KEY AUTOINCREMENT, product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
                     price_cents INTEGER NOT NULL, valid_from DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, valid_to DATETIME,
                     reason TEXT NOT NULL DEFAULT 'model', margin REAL);
CREATE UNIQUE INDEX prices_current ON prices (product_id) WHERE valid_to IS NULL;
CREATE INDEX observations_recent ON observations (product_id, seen_at DESC);
CREATE VIEW current_prices AS SELECT p.sku, pr.price_cents FROM products p JOIN prices pr ON pr.product_id = p.id WHERE pr.valid_to IS NULL;
