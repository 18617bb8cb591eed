"""Hot and junk rollback journals: SQLite's crash recovery, never mistaken for corruption.

A `-journal` beside a database that no process is writing means a writer died mid-transaction:
SQLite rolls it back on the next read-write open, and a read-only open cannot read the file until
then. selfheal backs the pair up first, lets SQLite do the rollback, and reports it. A journal that
is not a journal at all (junk) is moved aside, never deleted, once the database is sound without it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from selfheal.findings import Finding, Status
from selfheal.safety.safefile import ensure_private_dirs
from selfheal.safety.sqlitefile import connect, soundness

JOURNAL_MAGIC = bytes.fromhex("d9d505f920a163d7")  # the first bytes of every rollback journal header


class RecoveryFailed(Exception):
    """The database could not be brought back to a sound state; it was left as it was."""


def journal_of(path: Path) -> Path:
    """The rollback journal that belongs to a database file."""
    return Path(str(path) + "-journal")


def needs_recovery(path: Path, timeout: float) -> bool:
    """True when a leftover journal must be rolled back (or set aside) before the file can be read."""
    try:
        if journal_of(path).stat().st_size == 0:
            return False
    except OSError:
        return False
    try:
        conn = connect(path, readonly=True, timeout=timeout)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return getattr(exc, "sqlite_errorname", "") == "SQLITE_READONLY_ROLLBACK"
    return False


def is_junk(journal: Path) -> bool:
    """True when the journal does not start like one SQLite wrote."""
    with journal.open("rb") as fh:
        return fh.read(len(JOURNAL_MAGIC)) != JOURNAL_MAGIC


def describe(path: Path) -> str:
    """What kind of leftover journal a database has, in words."""
    if is_junk(journal_of(path)):
        return "a leftover -journal file that is not an SQLite journal"
    return "a hot journal (a writer stopped mid-transaction)"


def remedy(path: Path) -> str:
    """What recovery does with this database's leftover journal, in words."""
    if is_junk(journal_of(path)):
        return "move the journal aside once the database proves sound without it"
    return "let SQLite roll the interrupted write back"


def _copy_durably(source: Path, target: Path) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "wb") as out, source.open("rb") as src:
        shutil.copyfileobj(src, out)
        out.flush()
        os.fsync(out.fileno())


def sound_alone(path: Path, timeout: float) -> str:
    """soundness() of a copy of the database without its journal ("" when sound)."""
    with tempfile.TemporaryDirectory(prefix="selfheal-") as tmp:
        copy = Path(tmp) / "db"
        shutil.copyfile(path, copy)
        conn = connect(copy, readonly=True, timeout=timeout)
        try:
            return soundness(conn)
        finally:
            conn.close()


def recover(path: Path, label: str, state_dir: Path, backup_folder: Path, timeout: float) -> Optional[Finding]:
    """Back up the database and its journal together, then let SQLite roll back (or set junk aside).

    The caller holds the project lock. None when the journal is already gone (recovered by the app's
    own open meanwhile). Raises RecoveryFailed, OSError or sqlite3.Error; the database is then as it
    was (the pair's backup stays)."""
    journal = journal_of(path)
    try:
        junk = is_junk(journal)
    except FileNotFoundError:
        return None
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    ensure_private_dirs(state_dir, backup_folder)
    saved = backup_folder / f"{stamp}.pre-recovery"
    _copy_durably(path, saved)
    _copy_durably(journal, Path(str(saved) + "-journal"))
    if junk:
        problem = sound_alone(path, timeout)
        if problem:
            raise RecoveryFailed(f"the leftover -journal is not an SQLite journal and the database is not sound "
                                 f"without it ({problem}); both were left as they were")
        aside = journal.with_name(f"{journal.name}.junk-{stamp}")
        os.replace(journal, aside)
        done = f"the leftover -journal was not an SQLite journal; moved aside as {aside.name}"
    else:
        conn = connect(path, readonly=False, timeout=timeout)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # SQLite rolls back here
        finally:
            conn.close()
        done = "a hot journal (a writer stopped mid-transaction) was rolled back by SQLite"
    conn = connect(path, readonly=True, timeout=timeout)
    try:
        problem = soundness(conn)
    finally:
        conn.close()
    if problem:
        raise RecoveryFailed(f"after recovery the database is not sound ({problem})")
    return Finding("db.recovered", label, Status.WARNING, f"{done}; the database and journal were backed up "
                   f"first to {saved.name}", action=f"backup to {saved}; recover",
                   hint="no committed row was lost (only an unfinished write is undone, as SQLite intends); "
                        "if an app crashed, check it")


@contextmanager
def recovered_copy(path: Path, timeout: float) -> Iterator[Path]:
    """A private copy of the database with its journal rolled back, for read-only runs to inspect."""
    with tempfile.TemporaryDirectory(prefix="selfheal-") as tmp:
        copy = Path(tmp) / "db"
        shutil.copyfile(path, copy)
        if not is_junk(journal_of(path)):
            shutil.copyfile(journal_of(path), journal_of(copy))
            conn = connect(copy, readonly=False, timeout=timeout)
            try:
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            finally:
                conn.close()
        yield copy
