"""schema.snapshot of a PostgreSQL database: one namespace read as a model."""

from __future__ import annotations

from dataclasses import replace

from selfheal.engines.postgres import catalog
from selfheal.engines.postgres.connect import PgProblem, connect, first_line
from selfheal.errors import SnapshotError
from selfheal.model import Database

_WITH_TABLES = """
SELECT DISTINCT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_%%' ORDER BY 1
"""


def read_live(url: str, env_key: str, namespace: str = "public") -> tuple[Database, list[str]]:
    """The namespace as a model whose URL is named by its environment key (the URL is never written), and
    notes (an empty namespace names those that hold tables)."""
    try:
        import psycopg
    except ImportError:
        raise SnapshotError("the PostgreSQL driver (psycopg 3) is not installed: pip install 'psycopg[binary]>=3.3,<4' "
                            "(or -r requirements-postgres.txt in selfheal's checkout)") from None
    try:
        with connect(url, env_key, 10, psycopg) as conn:
            conn.read_only = True
            live = catalog.read(conn, namespace, env_key, server_text=True)
            others = [n for (n,) in conn.execute(_WITH_TABLES).fetchall()] if not live.tables else []
    except PgProblem as exc:
        raise SnapshotError(f"{env_key}: {exc}") from None
    except psycopg.Error as exc:
        raise SnapshotError(f"{env_key}: {first_line(exc, url)}") from None
    notes = [f"namespace {namespace} holds no tables" + (
        f"; these do: {', '.join(others)} (give --namespace NAME)" if others else "")] if not live.tables else []
    return replace(live, url_env=env_key, namespace=namespace, engine="postgres"), notes
