-- real estate listings
CREATE TABLE agents (id INTEGER PRIMARY KEY, name TEXT NOT NULL, license TEXT NOT NULL UNIQUE, phone TEXT);
CREATE TABLE listings (id INTEGER PRIMARY KEY, agent_id INTEGER REFERENCES agents (id) ON DELETE SET NULL,
                       street TEXT NOT NULL, city TEXT NOT NULL COLLATE NOCASE, postcode TEXT NOT NULL,
                       price INTEGER NOT NULL CHECK (price > 0), bedrooms INTEGER NOT NULL DEFAULT 1 CHECK (bedrooms >= 0),
                       area_m2 REAL NOT NULL CHECK (area_m2 > 0), price_per_m2 REAL GENERATED ALWAYS AS (price / area_m2) VIRTUAL,
                       listed_on DATE NOT NULL DEFAULT (date('now')), sold_on DATE);
CREATE TABLE viewings (listing_id INTEGER NOT NULL REFERENCES listings (id) ON DELETE CASCADE, at DATETIME NOT NULL,
                       visitor TEXT NOT NULL, PRIMARY KEY (listing_id, at));
CREATE INDEX listings_search ON listings (city, bedrooms, price) WHERE sold_on IS NULL;
