"""schema.snapshot of a PostgreSQL database: one namespace read as a model."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from selfheal.engines.postgres import catalog
from selfheal.engines.postgres.connect import PgProblem, connect, first_line
from selfheal.engines.postgres.objects import read_objects
from selfheal.errors import SnapshotError
from selfheal.model import Database

_WITH_TABLES = """
SELECT DISTINCT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_%%' ORDER BY 1
"""


def _driver() -> Any:
    """psycopg, or a SnapshotError saying how to install it."""
    try:
        import psycopg
    except ImportError:
        raise SnapshotError("the PostgreSQL driver (psycopg 3) is not installed: pip install 'psycopg[binary]>=3.3,<4' "
                            "(or -r requirements-postgres.txt in selfheal's checkout)") from None
    return psycopg


def namespaces_with_tables(url: str, env_key: str) -> list[str]:
    """The namespaces of the database that hold tables, by name."""
    psycopg = _driver()
    try:
        with connect(url, env_key, 10, psycopg) as conn:
            conn.read_only = True
            return [n for (n,) in conn.execute(_WITH_TABLES).fetchall()]
    except PgProblem as exc:
        raise SnapshotError(f"{env_key}: {exc}") from None
    except psycopg.Error as exc:
        raise SnapshotError(f"{env_key}: {first_line(exc, url)}") from None


def read_live(url: str, env_key: str, namespace: str = "public") -> tuple[Database, list[str]]:
    """The namespace as a model whose URL is named by its environment key (the URL is never written), and
    notes (an empty namespace names those that hold tables)."""
    psycopg = _driver()
    try:
        with connect(url, env_key, 10, psycopg) as conn:
            conn.read_only = True
            # expressions name the namespace's own objects as they are declared: unqualified
            conn.execute("SELECT set_config('search_path', quote_ident(%s), false)", (namespace,))
            live = catalog.read(conn, namespace, env_key, server_text=True)
            notes: list[str] = []
            live = replace(live, objects=tuple(read_objects(conn, namespace, notes)))
            notes += left_out(conn, namespace)
            others = [n for (n,) in conn.execute(_WITH_TABLES).fetchall()] if not live.tables else []
    except PgProblem as exc:
        raise SnapshotError(f"{env_key}: {exc}") from None
    except psycopg.Error as exc:
        raise SnapshotError(f"{env_key}: {first_line(exc, url)}") from None
    if not live.tables:
        notes.append(f"namespace {namespace} holds no tables" + (
            f"; these do: {', '.join(others)} (give --namespace NAME)" if others else ""))
    return replace(live, url_env=env_key, namespace=namespace, engine="postgres"), notes


_LEFT_OUT = """
SELECT 'rule ' || r.rulename || ' on ' || c.relname, 'rules are not carried: create it by hand'
FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %(ns)s AND r.rulename <> '_RETURN'
UNION ALL
SELECT 'table ' || c.relname || ' inherits from ' || p.relname,
       'written as a plain table with its own columns (INHERITS is not carried)'
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %(ns)s AND p.relkind <> 'p'
UNION ALL
SELECT 'table ' || c.relname || ' is partitioned (' || pg_get_partkeydef(c.oid) || ')',
       'written as a plain table, its partitions as tables of their own (PARTITION BY is not carried)'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %(ns)s AND c.relkind = 'p'
UNION ALL
SELECT 'policy ' || p.polname || ' on ' || c.relname, 'row security policies are not carried: create it by hand'
FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %(ns)s
UNION ALL
SELECT 'table ' || c.relname || ' has row level security enabled',
       'not carried: ALTER TABLE … ENABLE ROW LEVEL SECURITY'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %(ns)s AND c.relrowsecurity
UNION ALL
SELECT CASE c.relkind WHEN 'm' THEN 'materialized view ' WHEN 'f' THEN 'foreign table ' END || c.relname,
       'left out (declare it by hand)'
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %(ns)s AND c.relkind IN ('m', 'f')
UNION ALL
SELECT 'exclusion constraint ' || k.conname || ' on ' || c.relname || ': ' || pg_get_constraintdef(k.oid),
       'not carried: add it by hand (ALTER TABLE … ADD CONSTRAINT … EXCLUDE …)'
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %(ns)s AND k.contype = 'x'
UNION ALL
SELECT CASE d.deptype WHEN 'i' THEN 'identity' ELSE 'serial' END || ' column ' || t.relname || '.' || a.attname
       || ' has sequence options of its own (START ' || q.seqstart || ', INCREMENT ' || q.seqincrement || ')',
       'not carried: a healed copy starts at 1 (ALTER TABLE … ALTER COLUMN … SET … by hand)'
FROM pg_depend d JOIN pg_class s ON s.oid = d.objid JOIN pg_sequence q ON q.seqrelid = s.oid
JOIN pg_class t ON t.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE d.classid = 'pg_class'::regclass AND n.nspname = %(ns)s
  AND (d.deptype = 'i' OR (d.deptype = 'a' AND s.relname = t.relname || '_' || a.attname || '_seq'))
  AND (q.seqstart <> 1 OR q.seqincrement <> 1 OR q.seqmin <> 1 OR q.seqcache <> 1 OR q.seqcycle
       OR q.seqmax NOT IN (32767, 2147483647, 9223372036854775807))
UNION ALL
SELECT 'comment on index ' || c.relname,
       'comments on tables and columns are carried, this one is not'
FROM pg_description d JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass
JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %(ns)s AND c.relkind = 'i'
"""


def left_out(conn: Any, namespace: str) -> list[str]:
    """A note for everything in the namespace the snapshot cannot carry: never a silent drop."""
    return [f"{what}: {why}" for what, why in conn.execute(_LEFT_OUT, {"ns": namespace})]
