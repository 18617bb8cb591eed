"""schema.snapshot of a PostgreSQL database: its namespace as a schema.json `databases` entry."""

from __future__ import annotations

from typing import Any

from ..snapshot import SnapshotError, dependency_order, table_entry
from ..sql import view_select
from . import catalog


def snapshot(url: str, env_key: str, namespace: str = "public") -> tuple[dict[str, Any], list[str]]:
    """The entry (URL named by its environment key, never written), and notes on what it leaves out."""
    try:
        import psycopg
    except ImportError:
        raise SnapshotError("the PostgreSQL driver (psycopg 3) is not installed: "
                            "pip install 'selfheal[postgres]'") from None
    try:
        with psycopg.connect(url, connect_timeout=10, application_name="selfheal") as conn:
            conn.read_only = True
            live = catalog.read(conn, namespace, env_key)
    except psycopg.Error as exc:
        raise SnapshotError(f"{env_key}: {(str(exc).strip().splitlines() or ['cannot connect'])[0]}") from None
    notes: list[str] = []
    entry: dict[str, Any] = {"url": f"env:{env_key}"}
    if namespace != "public":
        entry["schema"] = namespace
    entry["tables"] = {t.name: table_entry(t, notes) for t in dependency_order(live.tables)}
    if live.views:
        entry["views"] = {name: view_select(text) for name, text in live.views}
    return entry, notes
