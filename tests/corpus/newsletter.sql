-- a newsletter service
CREATE TABLE lists (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, double_opt_in INTEGER NOT NULL DEFAULT 1);
CREATE TABLE subscribers (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE COLLATE NOCASE, name TEXT,
                          confirmed_at DATETIME, unsubscribed_at DATETIME);
CREATE TABLE subscriptions (list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
                            subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
                            joined_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (list_id, subscriber_id)) WITHOUT ROWID;
CREATE TABLE campaigns (id INTEGER PRIMARY KEY, list_id INTEGER NOT NULL REFERENCES lists (id), subject TEXT NOT NULL,
                        body_html TEXT NOT NULL, scheduled_for DATETIME, sent_at DATETIME);
CREATE TABLE deliveries (campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE, subscriber_id INTEGER NOT NULL,
                         status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'bounced', 'opened')),
                         at DATETIME, PRIMARY KEY (campaign_id, subscriber_id));
CREATE INDEX deliveries_status ON deliveries (campaign_id, status);
CREATE VIEW active_subscribers AS SELECT * FROM subscribers WHERE confirmed_at IS NOT NULL AND unsubscribed_at IS NULL;
