"""Opening SQLite files safely: URI-quoted paths, read-only when only reading, header and soundness checks."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
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
