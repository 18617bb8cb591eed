"""A corpus of real PostgreSQL schemas (tests/pg_corpus/*.sql: Chinook, Sakila and nine more using enums,
domains, cycles, gist/gin/brin indexes, operator classes, deferrable keys, identity vs serial vs plain
keys, generated columns, functions and triggers, contrib extensions), each created by its own SQL:
snapshot -> the original is clean against it -> heal an empty database -> the same catalogue, as the
server's own functions write it; damage the original -> heal -> the same catalogue, every row kept."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from .helpers import invoke, write_schema
from .pgserver import binaries, fresh_database

psycopg = pytest.importorskip("psycopg", reason="psycopg 3 is not installed (pip install -r requirements-dev.txt)")
pytestmark = pytest.mark.skipif(binaries() is None, reason="no PostgreSQL server binaries (initdb) on this machine")

CORPUS = {path.stem: path.read_text() for path in sorted((Path(__file__).parent / "pg_corpus").glob("*.sql"))}
_OWN = "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = {} AND d.deptype = 'e')"
CATALOGUE = {
    "columns": """
        SELECT c.relname, row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum), a.attname,
               format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity,
               a.attgenerated, pg_get_expr(d.adbin, d.adrelid), co.collname
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
        LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 100
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v') AND a.attnum > 0 AND NOT a.attisdropped""",
    "constraints": """
        SELECT c.relname, con.contype, pg_get_constraintdef(con.oid) FROM pg_constraint con
        JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public'""",
    "indexes": """
        SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'""",
    "views": """
        SELECT c.relname, pg_get_viewdef(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'v'""",
    "functions": f"""
        SELECT pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public' AND {_OWN.format('p.oid')}""",
    "triggers": """
        SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t WHERE NOT t.tgisinternal""",
    "types": f"""
        SELECT t.typname, t.typtype, format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault,
               ARRAY(SELECT enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder),
               ARRAY(SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c WHERE c.contypid = t.oid ORDER BY 1)
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'c') AND {_OWN.format('t.oid')}
          AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')""",
    "sequences": """
        SELECT c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache,
               s.seqcycle FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid""",
    "extensions": "SELECT extname FROM pg_extension",
    "comments": """
        SELECT c.relname, d.objsubid, d.description FROM pg_description d JOIN pg_class c ON c.oid = d.objoid
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'""",
}


def catalogue(url: str) -> dict[str, list[Any]]:
    """Every object of the public namespace as the server's own functions write it, sorted."""
    with psycopg.connect(url) as conn:
        return {what: sorted(map(repr, conn.execute(sql).fetchall())) for what, sql in CATALOGUE.items()}


def contents(url: str) -> dict[str, str]:
    """Every table's rows, as text, in order: a row lost or changed changes this."""
    with psycopg.connect(url) as conn:
        tables = [t for (t,) in conn.execute("SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = "
                                             "c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'")]
        return {t: conn.execute(f'SELECT count(*) || \':\' || coalesce(md5(string_agg(x::text, \',\' ORDER BY '
                                f'x::text)), \'\') FROM "{t}" x').fetchone()[0] for t in tables}


def needs(sql: str) -> list[str]:
    """The contrib extensions a corpus schema names in its `-- needs:` line."""
    match = re.search(r"^-- needs: (.+)$", sql, re.MULTILINE)
    return [n.strip() for n in match.group(1).split(",")] if match else []


def available(url: str, names: list[str]) -> list[str]:
    with psycopg.connect(url) as conn:
        have = {n for (n,) in conn.execute("SELECT name FROM pg_available_extensions")}
    return [n for n in names if n not in have]


def run_sql(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def snapshot_into(folder: Path, source: str) -> dict[str, Any]:
    """schema.snapshot of the source written to folder/schema.json; returns the entry (no note printed)."""
    write_schema(folder, {})
    snap = invoke(folder, "schema.snapshot", "env:DATABASE_URL", "--out", "schema.json", env={"DATABASE_URL": source})
    assert snap.returncode == 0, snap.stderr
    assert "note:" not in snap.stderr, snap.stderr  # everything in these schemas is carried
    return dict(json.loads((folder / "schema.json").read_text())["databases"]["main"])


@contextmanager
def built(server: str, name: str) -> Iterator[tuple[str, str]]:
    """(the corpus schema built by its own SQL, an empty database); skipped when the contrib extensions it
    needs are not installed on this machine."""
    missing = available(server, needs(CORPUS[name]))
    if missing:
        pytest.skip(f"contrib extensions not installed on this machine: {', '.join(missing)}")
    with fresh_database(server) as source, fresh_database(server) as copy:
        run_sql(source, CORPUS[name])
        yield source, copy


def assert_clean_against(folder: Path, url: str) -> None:
    """folder/schema.json describes the database at url exactly: validate --check says nothing to do, no
    warning."""
    (folder / ".env").write_text(f"DATABASE_URL={url}\n")
    check = invoke(folder, "validate", "--check")
    assert check.returncode == 0 and "warning" not in check.stdout.split("Total:")[0], check.stdout


def heal_into(folder: Path, url: str) -> None:
    """heal.db of folder/schema.json into the database at url, which must end clean."""
    (folder / ".env").write_text(f"DATABASE_URL={url}\n")
    healed = invoke(folder, "heal.db")
    assert healed.returncode == 0, healed.stdout


def test_the_corpus_covers_what_real_schemas_use() -> None:
    text = "\n".join(CORPUS.values())
    assert len(CORPUS) >= 11
    for feature in ("CREATE TYPE", "AS ENUM", "CREATE DOMAIN", "CREATE FUNCTION", "CREATE TRIGGER", "USING gist",
                    "USING gin", "USING brin", "_ops", "INCLUDE", "DEFERRABLE INITIALLY DEFERRED", "serial",
                    "GENERATED ALWAYS AS IDENTITY", "GENERATED BY DEFAULT AS IDENTITY", "STORED", "CREATE SEQUENCE",
                    "CREATE EXTENSION", "COMMENT ON", "CREATE VIEW", "NULLS NOT DISTINCT", "COLLATE", "MATCH FULL",
                    "(id) DEFERRABLE,"):
        assert feature in text, feature


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_a_real_schema_round_trips_and_heals(tmp_path: Path, pg_server: str, name: str) -> None:
    with built(pg_server, name) as (source, copy):
        snapshot_into(tmp_path, source)
        original, rows = catalogue(source), contents(source)
        assert_clean_against(tmp_path, source)
        heal_into(tmp_path, copy)
        assert catalogue(copy) == original
        assert_clean_against(tmp_path, copy)
        # the original, damaged: an index, a view, a trigger and a foreign key dropped; heal creates the first
        # three, and reports the key as drift (never applied) that migrate --apply adds back
        dropped_fk = run_damage(source)
        (tmp_path / ".env").write_text(f"DATABASE_URL={source}\n")
        healed = invoke(tmp_path, "heal.db")
        assert healed.returncode == (2 if dropped_fk else 0), healed.stdout
        if dropped_fk:
            assert "references is none" in healed.stdout or "foreign key" in healed.stdout, healed.stdout
            migrated = invoke(tmp_path, "migrate", "--apply")
            assert migrated.returncode == 0, migrated.stdout
        assert catalogue(source) == original
        assert contents(source) == rows


def run_damage(url: str) -> bool:
    """Drop the first plain index, view, trigger and foreign key of the namespace; True if a key was dropped."""
    sql = damage(url)
    run_sql(url, sql)
    return "DROP CONSTRAINT" in sql


def damage(url: str) -> str:
    """SQL that drops the first plain index, view, trigger and foreign key of the namespace."""
    with psycopg.connect(url) as conn:
        one = conn.execute  # each a single-row query, or no row
        index = one("SELECT quote_ident(c.relname) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND NOT EXISTS "
                    "(SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) ORDER BY 1 LIMIT 1").fetchone()
        view = one("SELECT quote_ident(relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                   "WHERE n.nspname = 'public' AND relkind = 'v' ORDER BY 1 LIMIT 1").fetchone()
        trigger = one("SELECT quote_ident(t.tgname) || ' ON ' || quote_ident(c.relname) FROM pg_trigger t "
                      "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal ORDER BY 1 LIMIT 1").fetchone()
        fk = one("SELECT quote_ident(c.relname), quote_ident(k.conname) FROM pg_constraint k JOIN pg_class c "
                 "ON c.oid = k.conrelid WHERE k.contype = 'f' ORDER BY 1, 2 LIMIT 1").fetchone()
    out = [f"DROP INDEX {index[0]}" if index else "", f"DROP VIEW {view[0]}" if view else "",
           f"DROP TRIGGER {trigger[0]}" if trigger else "",
           f"ALTER TABLE {fk[0]} DROP CONSTRAINT {fk[1]}" if fk else ""]
    return ";\n".join(s for s in out if s)


def ddl_only(sql: str) -> str:
    """The schema's statements without its rows (the declaration an SQL file would hold)."""
    from selfheal.engines.postgres.sqlfile import statements

    return "".join(f"{s};\n" for _, s in statements(sql) if not s.upper().startswith(("INSERT", "BEGIN", "COMMIT")))


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_the_schema_declared_as_sql_heals_to_the_same_catalogue(tmp_path: Path, pg_server: str, name: str) -> None:
    with built(pg_server, name) as (source, copy):
        (tmp_path / "schema.sql").write_text(ddl_only(CORPUS[name]))
        write_schema(tmp_path, {"databases": {"main": {"url": "env:DATABASE_URL", "sql": "schema.sql"}}})
        heal_into(tmp_path, copy)
        assert catalogue(copy) == catalogue(source)
        for url in (copy, source):  # the populated original is what its own SQL declares
            assert_clean_against(tmp_path, url)
