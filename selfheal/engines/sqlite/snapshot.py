"""schema.snapshot of an SQLite file: its live model, or its own DDL as an SQL file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from selfheal.engines.sqlite import catalog
from selfheal.errors import SnapshotError
from selfheal.model import Database
from selfheal.safety.sqlitefile import error_text, header_problem, reading


def read_live(db_path: Path, timeout: float = 10.0) -> Database:
    """The live database as a model (SnapshotError when it is missing, empty or unreadable)."""
    if not db_path.is_file():
        raise SnapshotError(f"{db_path} does not exist or is not a file")
    try:
        problem = header_problem(db_path)
    except OSError as exc:
        raise SnapshotError(f"cannot read {db_path}: {exc.strerror or exc}") from None
    if problem or db_path.stat().st_size == 0:
        raise SnapshotError(f"{db_path}: {problem or 'empty file, nothing to snapshot'}")
    try:
        with reading(db_path, timeout) as conn:
            return catalog.read(conn, db_path.name)
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{db_path}: {error_text(exc)}") from None


def snapshot_sql(db_path: Path, timeout: float = 10.0) -> str:
    """The database's own DDL, in creation order, as an SQL file a declaration can name (lossless)."""
    if not db_path.is_file():
        raise SnapshotError(f"{db_path} does not exist or is not a file")
    try:
        problem = header_problem(db_path)
        if problem:
            raise SnapshotError(f"{db_path}: {problem}")
        with reading(db_path, timeout) as conn:
            ddl = conn.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' "
                               "ESCAPE '\\' ORDER BY rowid").fetchall()
    except OSError as exc:
        raise SnapshotError(f"cannot read {db_path}: {exc.strerror or exc}") from None
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{db_path}: {error_text(exc)}") from None
    return f"-- schema of {db_path.name}, written by selfheal schema.snapshot --format sql\n" + "".join(
        f"{text};\n" for (text,) in ddl)
