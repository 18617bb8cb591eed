-- A blog: serial keys, an enum for the post's state, a STORED generated tsvector with a gin index,
-- a trigger keeping updated_at, comments, a view of what is published.
CREATE TYPE post_status AS ENUM ('draft', 'review', 'published', 'archived');
CREATE TABLE author (id serial PRIMARY KEY, handle varchar(40) NOT NULL UNIQUE, bio text);
CREATE TABLE post (id serial PRIMARY KEY, author_id integer NOT NULL REFERENCES author (id) ON DELETE CASCADE,
    title text NOT NULL, body text NOT NULL DEFAULT '', status post_status NOT NULL DEFAULT 'draft',
    tags text[] NOT NULL DEFAULT '{}', updated_at timestamptz NOT NULL DEFAULT now(),
    search tsvector GENERATED ALWAYS AS (to_tsvector('english', title || ' ' || body)) STORED);
CREATE INDEX post_search ON post USING gin (search);
CREATE INDEX post_tags ON post USING gin (tags);
CREATE INDEX post_recent ON post (updated_at DESC) WHERE status = 'published';
CREATE TABLE post_comment (id bigserial PRIMARY KEY, post_id integer NOT NULL REFERENCES post (id) ON DELETE CASCADE,
    body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;
CREATE TRIGGER post_touch BEFORE UPDATE ON post FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.body IS DISTINCT FROM NEW.body)
    EXECUTE FUNCTION touch_updated_at();
CREATE VIEW published AS SELECT p.id, p.title, a.handle FROM post p JOIN author a ON a.id = p.author_id
    WHERE p.status = 'published';
COMMENT ON TABLE post IS 'What authors write';
COMMENT ON COLUMN post.search IS 'title and body, for full-text search';
INSERT INTO author (handle) VALUES ('ada');
INSERT INTO post (author_id, title, body, status, tags) VALUES (1, 'Hello', 'First words', 'published', '{intro}'),
    (1, 'Draft', 'Not yet', 'draft', '{}');
INSERT INTO post_comment (post_id, body) VALUES (1, 'Welcome!');
