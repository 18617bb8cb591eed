"""Opening SQLite files safely: URI-quoted paths, read-only when only reading, header check."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

HEADER = b"SQLite format 3\x00"


def connect(path: Path, readonly: bool, timeout: float) -> sqlite3.Connection:
    """Open a database in autocommit mode (transactions are explicit); read-only never creates."""
    uri = "file:" + quote(path.absolute().as_posix(), safe="/:") + ("?mode=ro" if readonly else "")
    conn = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    return conn


def header_problem(path: Path) -> str:
    """Why the file is not an SQLite database, or "" (a zero-length file is an empty database)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(100)
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    if not head:
        return ""
    if len(head) < 100 or not head.startswith(HEADER):
        return "not an SQLite database (bad file header)"
    return ""


def quick_check(conn: sqlite3.Connection) -> str:
    """First problem PRAGMA quick_check finds, or "" when it says ok."""
    rows = conn.execute("PRAGMA quick_check").fetchall()
    first = rows[0][0] if rows else "ok"
    return "" if first == "ok" else first
