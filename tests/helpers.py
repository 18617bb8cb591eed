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
