"""Opening SQLite files safely: URI-quoted paths, read-only when only reading, header check."""

from __future__ import annotations

import glob as globlib
import hashlib
import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
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


def soundness(conn: sqlite3.Connection) -> str:
    """Why the database is corrupt, naming the check that said so, or "" when it is sound.

    quick_check is cheap but has been seen to report errors integrity_check and the data contradict
    (SQLite 3.40, WITHOUT ROWID tables): a file is called corrupt only when integrity_check agrees."""
    if not quick_check(conn):
        return ""
    rows = conn.execute("PRAGMA integrity_check").fetchall()
    first = rows[0][0] if rows else "ok"
    return "" if first == "ok" else f"integrity_check: {first}"


CORRUPTION_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB (primary codes)


def is_corruption(exc: BaseException) -> bool:
    """True when SQLite says the file itself is damaged (not locked, unreadable or read-only)."""
    if isinstance(exc, UnicodeDecodeError):
        return True  # SQLite's own message quoted bytes of the file that are not text
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in CORRUPTION_CODES
    text = str(exc)
    return "malformed" in text or "not a database" in text


def error_text(exc: BaseException) -> str:
    """An SQLite error as printable text (its message may quote damaged bytes)."""
    if isinstance(exc, UnicodeDecodeError):
        return "SQLite reported damaged text in the file (not valid UTF-8)"
    return str(exc)


def cache_key(conn: sqlite3.Connection, path: Path, desired: Database,
              declarations: Mapping[str, str]) -> str:
    """What a clean result depends on: the schema's version, the file's identity, the declaration.

    The declaration is the digest of the database's entry in schema.json when known (see
    schemafile.declaration_digests: cheaper than hashing the model), else of the model itself."""
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


@contextmanager
def reading(path: Path, timeout: float) -> Iterator[sqlite3.Connection]:
    """A read-only connection that leaves the folder as it found it.

    Reading a WAL database creates its -wal and -shm files, which a read-only connection cannot
    remove on close. Those this read created are removed afterwards when the WAL is still empty and
    no other connection has the database open (the same test SQLite's last connection makes)."""
    side = [Path(str(path) + "-wal"), Path(str(path) + "-shm")]
    existed = [s.exists() for s in side]
    conn = connect(path, readonly=True, timeout=timeout)
    try:
        yield conn
    finally:
        conn.close()
        if not any(existed):
            _remove_unused_wal_files(*side)


def _remove_unused_wal_files(wal: Path, shm: Path) -> None:
    try:
        if not shm.exists() or (wal.exists() and wal.stat().st_size > 0):
            return
        import fcntl

        fd = os.open(shm, os.O_RDWR | os.O_NOFOLLOW)
    except (OSError, ImportError):
        return
    try:
        # every connection holds a read lock on the -shm "dead man switch" byte: a write lock means none is left
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _SHM_DMS_BYTE)
        if not wal.exists() or wal.stat().st_size == 0:
            wal.unlink(missing_ok=True)
            shm.unlink(missing_ok=True)
    except OSError:
        pass  # another connection uses them: they are its files now
    finally:
        os.close(fd)  # closing drops the lock


_SHM_DMS_BYTE = 128  # SQLite's unix VFS: (22 + SQLITE_SHM_NLOCK) * 4 + SQLITE_SHM_NLOCK
