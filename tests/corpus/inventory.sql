-- warehouse inventory
CREATE TABLE warehouses (code TEXT PRIMARY KEY CHECK (code = upper(code)), city TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE items (sku TEXT PRIMARY KEY, description TEXT NOT NULL, unit TEXT NOT NULL DEFAULT 'pcs', weight_g INTEGER CHECK (weight_g > 0));
CREATE TABLE stock (warehouse TEXT NOT NULL REFERENCES warehouses (code) ON UPDATE CASCADE, sku TEXT NOT NULL REFERENCES items (sku),
                    on_hand INTEGER NOT NULL DEFAULT 0 CHECK (on_hand >= 0), reserved INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (warehouse, sku), CHECK (reserved <= on_hand)) WITHOUT ROWID;
CREATE TABLE movements (id INTEGER PRIMARY KEY AUTOINCREMENT, warehouse TEXT NOT NULL, sku TEXT NOT NULL, delta INTEGER NOT NULL CHECK (delta <> 0),
                        reason TEXT NOT NULL, at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
                        FOREIGN KEY (warehouse, sku) REFERENCES stock (warehouse, sku));
CREATE INDEX movements_sku_time ON movements (sku, at);
CREATE TRIGGER movements_apply AFTER INSERT ON movements BEGIN
  UPDATE stock SET on_hand = on_hand + NEW.delta WHERE warehouse = NEW.warehouse AND sku = NEW.sku;
END;
