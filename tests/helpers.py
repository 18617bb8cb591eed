"""Shared helpers: write a project, run selfheal in-process or through Invoke, read databases."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from selfheal.context import Mode
from selfheal.runner import Report, run

ROOT = Path(__file__).resolve().parent.parent


def write_schema(folder: Path, doc: dict[str, Any]) -> Path:
    """Write schema.json (version 1 added) and return its path."""
    path = folder / "schema.json"
    path.write_text(json.dumps({"version": 1, **doc}, indent=2))
    return path


def heal(folder: Path, parts: Iterable[str] = ("db",), mode: Mode = Mode.HEAL, **kw: Any) -> Report:
    """Run selfheal in-process on folder/schema.json."""
    return run(folder / "schema.json", mode, tuple(parts), **kw)


def invoke(folder: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120,
           schema: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `python -m invoke -r ROOT TASK ... --schema folder/schema.json` from folder."""
    cmd = [sys.executable, "-m", "invoke", "-r", str(ROOT), *args]
    if schema:
        cmd += ["--schema", str(folder / "schema.json")]
    full_env = {k: v for k, v in os.environ.items() if k != "SELFHEAL_SCHEMA"}
    full_env.update({"NO_COLOR": "1", **(env or {})})
    return subprocess.run(cmd, cwd=folder, capture_output=True, text=True, timeout=timeout, env=full_env,
                          stdin=subprocess.DEVNULL)


def rows(db: Path, query: str, *params: Any) -> list[tuple[Any, ...]]:
    """Run a query on a database file and return all rows."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute(query, params).fetchall()
    finally:
        conn.close()


def columns(db: Path, table: str) -> list[str]:
    """Column names of a table, in order."""
    return [r[0] for r in rows(db, "SELECT name FROM pragma_table_info(?)", table)]


def tree_digest(folder: Path) -> dict[str, str]:
    """Hash of every file under folder (to prove a run changed no byte)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def statuses(report: Report) -> dict[tuple[str, str], str]:
    """(check, target) -> status of every finding."""
    return {(f.check, f.target): f.status.value for f in report.findings}


def schema_facts(db: Path) -> dict[str, Any]:
    """What SQLite reports about a database's schema, in a form two equivalent files share: every
    table's table_list/table_xinfo, foreign keys, indexes (autoindex names left out), its text-only
    constraints, and the views' SELECTs and the triggers' SQL."""
    from selfheal.planning.constraints import text_shape
    from selfheal.planning.sql import normalized, view_select

    conn = sqlite3.connect(db)
    try:
        facts: dict[str, Any] = {}
        tables = conn.execute("SELECT name, type, ncol, wr, strict FROM pragma_table_list WHERE schema = 'main' "
                              "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name").fetchall()
        for name, *shape in tables:
            sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0] or ""
            fks: dict[int, list[tuple[Any, ...]]] = {}
            for row in conn.execute("SELECT id, \"table\", \"from\", \"to\", on_update, on_delete, match "
                                    "FROM pragma_foreign_key_list(?) ORDER BY id, seq", (name,)):
                fks.setdefault(row[0], []).append(row[1:])
            indexes = []
            for idx, unique, origin, partial in conn.execute(
                    "SELECT name, \"unique\", origin, partial FROM pragma_index_list(?)", (name,)):
                keys = conn.execute("SELECT seqno, cid, name, desc, coll, key FROM pragma_index_xinfo(?) "
                                    "ORDER BY seqno", (idx,)).fetchall()
                index_sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (idx,)).fetchone()
                indexes.append((idx if origin == "c" else "", unique, origin, partial, tuple(keys),
                                normalized(index_sql[0]).split(" on ", 1)[-1] if index_sql and index_sql[0] else ""))
            text = text_shape(sql)
            facts[f"table {name}"] = {
                "shape": tuple(shape),
                "columns": conn.execute("SELECT cid, name, type, \"notnull\", dflt_value, pk, hidden "
                                        "FROM pragma_table_xinfo(?)", (name,)).fetchall(),
                "foreign_keys": sorted(tuple(v) for v in fks.values()),
                "indexes": sorted(indexes),
                "text": (sorted(text.columns.items()), sorted(text.checks)),
                "autoincrement": "AUTOINCREMENT" in sql.upper(),
            }
        for kind, name, sql in conn.execute("SELECT type, name, sql FROM sqlite_master WHERE type IN "
                                            "('view', 'trigger')"):
            facts[f"{kind} {name}"] = normalized(view_select(sql) if kind == "view" else sql)
        return facts
    finally:
        conn.close()
