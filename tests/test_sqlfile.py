"""SQL DDL files as a declaration: SQLite parses them; tables keep their constraints as written."""

import json
import sqlite3
from pathlib import Path

import pytest

from .helpers import columns, invoke, rows, write_schema

CORPUS = {
    "blog": """
        CREATE TABLE authors (id INTEGER PRIMARY KEY, handle TEXT NOT NULL COLLATE NOCASE UNIQUE,
                              bio TEXT CHECK (length(bio) <= 500));
        CREATE TABLE posts (id INTEGER PRIMARY KEY AUTOINCREMENT,
                            author_id INTEGER NOT NULL REFERENCES authors (id) ON DELETE CASCADE,
                            slug TEXT NOT NULL UNIQUE, title TEXT NOT NULL, body TEXT NOT NULL DEFAULT '',
                            published_at DATETIME, updated_at DATETIME DEFAULT CURRENT_TIMESTAMP);
        CREATE INDEX idx_posts_published ON posts (published_at DESC) WHERE published_at IS NOT NULL;
        CREATE TABLE tags (name TEXT PRIMARY KEY COLLATE NOCASE) WITHOUT ROWID;
        CREATE TABLE post_tags (post_id INTEGER REFERENCES posts (id) ON DELETE CASCADE,
                                tag TEXT REFERENCES tags (name) ON UPDATE CASCADE, PRIMARY KEY (post_id, tag));
        CREATE VIEW published AS SELECT * FROM posts WHERE published_at IS NOT NULL;
        CREATE TRIGGER posts_touch AFTER UPDATE OF body ON posts BEGIN
          UPDATE posts SET updated_at = CURRENT_TIMESTAMP WHERE id = NEW.id;
        END;
    """,
    "shop": """
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
    """,
    "tasks": """
        CREATE TABLE projects (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, archived INTEGER NOT NULL
                               DEFAULT 0 CHECK (archived IN (0, 1)));
        CREATE TABLE tasks (id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects (id)
                            ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, title TEXT NOT NULL,
                            done_at DATETIME, priority INTEGER NOT NULL DEFAULT 3 CHECK (priority BETWEEN 1 AND 5),
                            UNIQUE (project_id, title));
        CREATE INDEX idx_tasks_open ON tasks (project_id, priority) WHERE done_at IS NULL;
        CREATE VIEW open_tasks AS SELECT t.*, p.name AS project FROM tasks t JOIN projects p ON p.id = t.project_id
          WHERE t.done_at IS NULL;
    """,
    "music": """
        CREATE TABLE artists ("ArtistId" INTEGER PRIMARY KEY AUTOINCREMENT, "Name" NVARCHAR(120));
        CREATE TABLE albums ("AlbumId" INTEGER PRIMARY KEY, "Title" NVARCHAR(160) NOT NULL,
                             "ArtistId" INTEGER NOT NULL REFERENCES artists ("ArtistId"));
        CREATE TABLE tracks ("TrackId" INTEGER PRIMARY KEY, "Name" NVARCHAR(200) NOT NULL,
                             "AlbumId" INTEGER REFERENCES albums ("AlbumId"), "Milliseconds" INTEGER NOT NULL,
                             "UnitPrice" NUMERIC(10, 2) NOT NULL);
        CREATE INDEX "IFK_TrackAlbumId" ON tracks ("AlbumId");
    """,
}


def project(folder: Path, sql: str, name: str = "app.sql") -> Path:
    (folder / "schema").mkdir(exist_ok=True)
    (folder / "schema" / name).write_text(sql)
    write_schema(folder, {"databases": {"app.db": {"sql": f"schema/{name}"}}})
    return folder / "app.db"


def ddl(db: Path) -> list[tuple[str, str, str]]:
    return rows(db, "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_built_from_nothing_it_is_the_same_schema_as_running_the_sql(tmp_path, name):
    db = project(tmp_path, CORPUS[name])
    p = invoke(tmp_path, "heal.db")
    assert p.returncode == 0, p.stdout
    direct = tmp_path / "direct.db"
    conn = sqlite3.connect(direct)
    conn.executescript(CORPUS[name])
    conn.close()
    assert ddl(db) == ddl(direct)
    for table in (n for t, n, _ in ddl(direct) if t == "table"):
        assert rows(db, f"SELECT * FROM pragma_table_xinfo('{table}')") == rows(
            direct, f"SELECT * FROM pragma_table_xinfo('{table}')")
    assert invoke(tmp_path, "validate", "--check").returncode == 0


def test_constraints_behave_after_heal(tmp_path):
    db = project(tmp_path, CORPUS["blog"])
    assert invoke(tmp_path, "heal.db").returncode == 0
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("INSERT INTO authors (handle) VALUES ('Ada')")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO authors (handle) VALUES ('ada')")  # COLLATE NOCASE UNIQUE
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO authors (handle, bio) VALUES ('bob', ?)", ("x" * 501,))  # CHECK
    conn.execute("INSERT INTO posts (author_id, slug, title) VALUES (1, 'hello', 'Hello')")
    conn.execute("DELETE FROM authors")
    assert conn.execute("SELECT count(*) FROM posts").fetchone() == (0,)  # ON DELETE CASCADE
    conn.close()


def test_a_populated_table_gains_columns_as_written(tmp_path):
    db = tmp_path / "app.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    conn.executemany("INSERT INTO users (name) VALUES (?)", [("a",), ("b",)])
    conn.commit()
    conn.close()
    project(tmp_path, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, nick TEXT COLLATE NOCASE, "
                      "code TEXT UNIQUE, score INTEGER NOT NULL DEFAULT 0 CHECK (score >= 0));")
    p = invoke(tmp_path, "heal.db")
    assert p.returncode == 0, p.stdout
    assert columns(db, "users") == ["id", "name", "nick", "code", "score"]
    assert rows(db, "SELECT id, name, score FROM users ORDER BY id") == [(1, "a", 0), (2, "b", 0)]
    conn = sqlite3.connect(db)
    conn.execute("UPDATE users SET code = 'x' WHERE id = 1")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE users SET code = 'x' WHERE id = 2")  # the UNIQUE came with the rebuild
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE users SET score = -1")
    conn.close()
    assert invoke(tmp_path, "validate", "--check").returncode == 0


@pytest.mark.parametrize("sql,expect", [
    ("CREATE TABLE t (x);\nINSERT INTO t VALUES (1);", "schema/app.sql:2: INSERT is not allowed"),
    ("CREATE TABLE t (x);\n\nDROP TABLE t;", "schema/app.sql:3: DROP TABLE is not allowed"),
    ("PRAGMA foreign_keys = ON;", "schema/app.sql:1: PRAGMA is not allowed"),
    ("ATTACH 'x.db' AS x;", "ATTACH is not allowed"),
    ("CREATE TABLE t (x);\nCREATE TABLE u (y REFERENCES);", "schema/app.sql:2: SQLite refuses it"),
    ("CREATE TEMP TABLE t (x);", "TEMP objects vanish"),
])
def test_what_a_declaration_may_not_hold_is_named_with_file_and_line(tmp_path, sql, expect):
    project(tmp_path, sql)
    p = invoke(tmp_path, "heal.db", "--json")
    messages = [c["message"] for c in json.loads(p.stdout)["checks"]]
    assert p.returncode == 1 and any(expect in m for m in messages), messages
    assert not (tmp_path / "app.db").exists()


def test_a_name_declared_in_json_and_in_sql_is_an_error_naming_both(tmp_path):
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "app.sql").write_text("CREATE TABLE users (id INTEGER PRIMARY KEY);")
    write_schema(tmp_path, {"databases": {"app.db": {"sql": ["schema/app.sql"],
                                                     "tables": {"users": {"columns": {"id": "INTEGER"}}}}}})
    p = invoke(tmp_path, "heal.db", "--json")
    messages = [c["message"] for c in json.loads(p.stdout)["checks"]]
    assert any('"users" is declared twice' in m and "schema/app.sql" in m for m in messages), messages


def test_sql_files_stay_inside_the_project(tmp_path):
    write_schema(tmp_path, {"databases": {"app.db": {"sql": "../elsewhere.sql"}}})
    p = invoke(tmp_path, "heal.db", "--json")
    assert p.returncode == 1 and "must stay inside" in p.stdout


def test_snapshot_as_sql_round_trips_losslessly(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    conn = sqlite3.connect(source / "app.db")
    conn.executescript(CORPUS["shop"] + CORPUS["blog"])
    conn.close()
    p = invoke(source, "schema.snapshot", "app.db", "--format", "sql", "--out", "app.sql", schema=False)
    assert p.returncode == 0, p.stderr
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "app.sql").write_text((source / "app.sql").read_text())
    write_schema(fresh, {"databases": {"app.db": {"sql": "app.sql"}}})
    assert invoke(fresh, "heal.db").returncode == 0
    assert ddl(fresh / "app.db") == ddl(source / "app.db")
    write_schema(source, {"databases": {"app.db": {"sql": "app.sql"}}})
    assert invoke(source, "validate", "--check").returncode == 0
