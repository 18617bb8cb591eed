"""Opening SQLite files safely: URI-quoted paths, read-only when only reading, header check."""

from __future__ import annotations

import glob as globlib
import hashlib
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Optional
from urllib.parse import quote

from .findings import Finding
from .model import Database

if TYPE_CHECKING:
    from .context import RunContext

QUICK_CHECK_EVERY_RUN_BYTES = 8 * 1024 * 1024  # bigger files are quick_checked only before a write
SIDE_FILES = ("-journal", "-wal", "-shm", ".selfheal-new")  # never a database of their own


def database_files(root: Path, desired: Database) -> list[tuple[Path, str]]:
    """(path, label) of the file a declaration names, or of every existing file its glob matches."""
    if not desired.is_glob:
        return [(root / desired.path, desired.path)]
    matches = sorted(Path(p) for p in globlib.glob(globlib.escape(str(root)) + "/" + desired.path)
                     if not p.endswith(SIDE_FILES) and Path(p).is_file())
    return [(m, m.relative_to(root).as_posix()) for m in matches]

HEADER = b"SQLite format 3\x00"


def connect(path: Path, readonly: bool, timeout: float) -> sqlite3.Connection:
    """Open a database in autocommit mode (transactions are explicit); read-only never creates."""
    uri = "file:" + quote(path.absolute().as_posix(), safe="/:") + ("?mode=ro" if readonly else "")
    conn = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    return conn


def header_problem(path: Path) -> str:
    """Why the file is not an SQLite database, or "" (a zero-length file is an empty database).

    A file that cannot be read raises OSError: unreadable is not corrupt, and must never be restored over."""
    with path.open("rb") as fh:
        head = fh.read(100)
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


def cache_key(conn: sqlite3.Connection, path: Path, desired: Database) -> str:
    """What a clean result depends on: the schema's version, the file's identity, the declaration."""
    version = conn.execute("PRAGMA schema_version").fetchone()[0]
    st = path.stat()
    declared = hashlib.sha256(repr(desired).encode("utf-8")).hexdigest()[:32]
    return f"{version}:{st.st_dev}:{st.st_ino}:{declared}"


def cached_check(ctx: RunContext, desired: Database, path: Path, label: str) -> Optional[list[Finding]]:
    """The remembered clean findings of a sound, unchanged database; None means: check it fully."""
    section = "db:" + label
    try:
        if section not in ctx.cache.entries or not path.is_file() or header_problem(path):
            return None
    except OSError:
        return None
    try:
        conn = connect(path, readonly=True, timeout=ctx.project.lock_timeout)
        try:
            if path.stat().st_size <= QUICK_CHECK_EVERY_RUN_BYTES and quick_check(conn):
                return None
            return ctx.cache.get(section, cache_key(conn, path, desired))
        finally:
            conn.close()
    except sqlite3.Error:
        return None
