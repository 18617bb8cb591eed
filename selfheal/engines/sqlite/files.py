"""Which files a SQLite declaration names, and the remembered clean result of an unchanged one."""

from __future__ import annotations

import glob as globlib
import hashlib
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from selfheal.findings import Finding
from selfheal.model import Database
from selfheal.safety.sqlitefile import header_problem, quick_check, reading

if TYPE_CHECKING:
    from selfheal.context import RunContext

QUICK_CHECK_EVERY_RUN_BYTES = 8 * 1024 * 1024  # bigger files are quick_checked only before a write
SIDE_FILES = ("-journal", "-wal", "-shm", ".selfheal-new")  # never a database of their own


def confined_files(root: Path, desired: Database) -> tuple[list[tuple[Path, str]], list[Finding]]:
    """database_files less those reached through a planted link (each of those an error finding)."""
    from selfheal.findings import Status
    from selfheal.safety.safefile import planted_link

    kept, refused = [], []
    for path, label in database_files(root, desired):
        problem = planted_link(root, label)
        if problem:
            refused.append(Finding("db.file", label, Status.ERROR, f"{problem}; the database was not used",
                                   hint="remove the link, or replace it with one of your own"))
        else:
            kept.append((path, label))
    return kept, refused


def database_files(root: Path, desired: Database) -> list[tuple[Path, str]]:
    """(path, label) of the file a declaration names, or of every existing file its glob matches."""
    if not desired.is_glob:
        return [(root / desired.path, desired.path)]
    matches = sorted(Path(p) for p in globlib.glob(globlib.escape(str(root)) + "/" + desired.path)
                     if not p.endswith(SIDE_FILES) and Path(p).is_file())
    return [(m, m.relative_to(root).as_posix()) for m in matches]


def cache_key(conn: sqlite3.Connection, path: Path, desired: Database,
              declarations: Mapping[str, str]) -> str:
    """What a clean result depends on: the schema's version, the file's identity, the declaration.

    The declaration is the digest of the database's entry in schema.json when known (see
    declare.loader.declaration_digests: cheaper than hashing the model), else of the model itself."""
    version = conn.execute("PRAGMA schema_version").fetchone()[0]
    st = path.stat()
    declaration = declarations.get(desired.path, "")
    from_sql_files = any(t.sql for t in desired.tables)  # their text is not in schema.json
    declared = declaration[:32] if declaration and not from_sql_files else hashlib.sha256(
        repr(desired).encode("utf-8")).hexdigest()[:32]
    key = f"{version}:{st.st_dev}:{st.st_ino}:{declared}"
    if any(t.rows for t in desired.tables):
        # seed rows live in the data, which schema_version does not track: any write invalidates
        for file in (path, Path(str(path) + "-wal")):
            try:
                fst = file.stat()
                key += f":{fst.st_mtime_ns}:{fst.st_size}"
            except OSError:
                key += ":-"
    return key


def cached_check(ctx: RunContext, desired: Database, path: Path, label: str) -> Optional[list[Finding]]:
    """The remembered clean findings of a sound, unchanged database; None means: check it fully."""
    section = "db:" + label
    try:
        if section not in ctx.cache.entries or not path.is_file() or header_problem(path):
            return None
    except OSError:
        return None
    try:
        with reading(path, ctx.project.lock_timeout) as conn:
            if path.stat().st_size <= QUICK_CHECK_EVERY_RUN_BYTES and quick_check(conn):
                return None
            return ctx.cache.get(section, cache_key(conn, path, desired, ctx.project.declarations))
    except (sqlite3.Error, UnicodeDecodeError, OSError):
        return None


