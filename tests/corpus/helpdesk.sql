-- a helpdesk
CREATE TABLE agents (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE COLLATE NOCASE, name TEXT NOT NULL, team TEXT);
CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE COLLATE NOCASE, name TEXT, plan TEXT NOT NULL DEFAULT 'free');
CREATE TABLE tickets (id INTEGER PRIMARY KEY AUTOINCREMENT, customer_id INTEGER NOT NULL REFERENCES customers (id),
                      assignee_id INTEGER REFERENCES agents (id) ON DELETE SET NULL, subject TEXT NOT NULL,
                      priority TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
                      status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'pending', 'solved', 'closed')),
                      created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE ticket_events (id INTEGER PRIMARY KEY, ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
                            actor TEXT NOT NULL, kind TEXT NOT NULL, payload TEXT CHECK (payload IS NULL OR json_valid(payload)),
                            at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE INDEX tickets_queue ON tickets (status, priority, created_at) WHERE status IN ('open', 'pending');
CREATE INDEX tickets_assignee ON tickets (assignee_id, updated_at DESC);
CREATE TRIGGER tickets_touch AFTER UPDATE ON tickets WHEN NEW.updated_at = OLD.updated_at BEGIN
  UPDATE tickets SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
END;
CREATE VIEW open_by_agent AS SELECT assignee_id, count(*) AS open FROM tickets WHERE status = 'open' GROUP BY assignee_id;
