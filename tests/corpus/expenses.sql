-- personal finance
CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, kind TEXT NOT NULL CHECK (kind IN ('cash', 'bank', 'card', 'savings')),
                       currency TEXT NOT NULL DEFAULT 'USD', opened DATE);
CREATE TABLE categories (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES categories (id) ON DELETE CASCADE, name TEXT NOT NULL,
                         UNIQUE (parent_id, name));
CREATE TABLE transactions (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE RESTRICT,
                           category_id INTEGER REFERENCES categories (id) ON DELETE SET NULL, amount_cents INTEGER NOT NULL,
                           booked_on DATE NOT NULL, payee TEXT, memo TEXT, cleared INTEGER NOT NULL DEFAULT 0);
CREATE INDEX transactions_account_date ON transactions (account_id, booked_on);
CREATE INDEX transactions_uncleared ON transactions (account_id) WHERE cleared = 0;
CREATE VIEW balances AS SELECT account_id, sum(amount_cents) AS balance_cents FROM transactions GROUP BY account_id;
