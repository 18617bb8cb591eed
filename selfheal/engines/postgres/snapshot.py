"""schema.snapshot of a PostgreSQL database: one namespace read as a model."""

from __future__ import annotations

from dataclasses import replace

from selfheal.engines.postgres import catalog
from selfheal.engines.postgres.connect import PgProblem, connect, first_line
from selfheal.errors import SnapshotError
from selfheal.model import Database


def read_live(url: str, env_key: str, namespace: str = "public") -> Database:
    """The namespace as a model whose URL is named by its environment key (the URL is never written)."""
    try:
        import psycopg
    except ImportError:
        raise SnapshotError("the PostgreSQL driver (psycopg 3) is not installed: pip install 'psycopg[binary]>=3.3,<4' "
                            "(or -r requirements-postgres.txt in selfheal's checkout)") from None
    try:
        with connect(url, env_key, 10, psycopg) as conn:
            conn.read_only = True
            live = catalog.read(conn, namespace, env_key, server_text=True)
    except PgProblem as exc:
        raise SnapshotError(f"{env_key}: {exc}") from None
    except psycopg.Error as exc:
        raise SnapshotError(f"{env_key}: {first_line(exc, url)}") from None
    return replace(live, url_env=env_key, namespace=namespace, engine="postgres")
