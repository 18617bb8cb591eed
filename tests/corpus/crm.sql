-- a CRM: companies, contacts, deals, activities
CREATE TABLE companies (id INTEGER PRIMARY KEY, name TEXT NOT NULL, domain TEXT COLLATE NOCASE, industry TEXT, employees INTEGER CHECK (employees >= 0));
CREATE UNIQUE INDEX companies_domain ON companies (domain) WHERE domain IS NOT NULL;
CREATE TABLE contacts (id INTEGER PRIMARY KEY, company_id INTEGER REFERENCES companies (id) ON DELETE SET NULL,
                       first_name TEXT, last_name TEXT NOT NULL, email TEXT COLLATE NOCASE, phone TEXT,
                       full_name TEXT GENERATED ALWAYS AS (coalesce(first_name || ' ', '') || last_name) VIRTUAL);
CREATE TABLE deals (id INTEGER PRIMARY KEY, company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
                    owner TEXT NOT NULL, stage TEXT NOT NULL DEFAULT 'lead' CHECK (stage IN ('lead', 'qualified', 'proposal', 'won', 'lost')),
                    value_cents INTEGER NOT NULL DEFAULT 0, closes_on DATE);
CREATE TABLE activities (id INTEGER PRIMARY KEY, deal_id INTEGER REFERENCES deals (id) ON DELETE CASCADE,
                         contact_id INTEGER REFERENCES contacts (id) ON DELETE CASCADE, kind TEXT NOT NULL, note TEXT,
                         happened_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, CHECK (deal_id IS NOT NULL OR contact_id IS NOT NULL));
CREATE INDEX contacts_email ON contacts (email COLLATE NOCASE);
CREATE INDEX deals_pipeline ON deals (stage, closes_on);
