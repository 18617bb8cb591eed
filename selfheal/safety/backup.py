"""Consistent backups of a database before it is changed, and restore of the newest good one."""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import stat
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from selfheal.safety.safefile import ensure_private_dirs, fsync_folder
from selfheal.safety.sqlitefile import connect, soundness


def backup_dir(state_dir: Path) -> Path:
    """Where backups live."""
    return state_dir / "backups"


def _stem(label: str) -> str:
    """A file-name-safe, collision-free folder name for a database path (app/data.db -> app__data.db-3f2a…)."""
    readable = re.sub(r"[^A-Za-z0-9._-]", "_", label.replace("/", "__"))[:80]
    return f"{readable}-{hashlib.sha256(label.encode('utf-8')).hexdigest()[:8]}"


def backups_of(state_dir: Path, label: str) -> list[Path]:
    """Backups of one database (a folder each, so listing stays cheap in fleets), newest first."""
    return sorted(backup_folder(state_dir, label).glob("*Z.bak"), reverse=True)


def backup_folder(state_dir: Path, label: str) -> Path:
    """The folder that holds one database's backups."""
    return backup_dir(state_dir) / _stem(label)


def write_backup(db_path: Path, state_dir: Path, label: str, keep: int, timeout: float) -> Path:
    """Copy the database with SQLite's backup API, verify it, keep only the newest `keep`.

    The copy is private (0600 in 0700 folders), whatever the umask and the database's own mode."""
    folder = backup_folder(state_dir, label)
    ensure_private_dirs(state_dir, folder)
    for leftover in folder.glob(".*.partial"):  # from a run killed mid-copy (we hold the project lock)
        leftover.unlink(missing_ok=True)
    state = fingerprint(db_path)
    newest = backups_of(state_dir, label)[:1]
    if newest and _source_of(newest[0]) == state:
        return newest[0]  # the file is as it was then (a heal that was rolled back, retried): no second copy
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"{stamp}.bak"
    fd, name = tempfile.mkstemp(dir=folder, prefix=f".{stamp}.", suffix=".partial")  # 0600, a fresh name
    os.close(fd)
    partial = Path(name)
    try:
        source = connect(db_path, readonly=True, timeout=timeout)
        try:
            dest = sqlite3.connect(partial)
            try:
                # the copy is private and unnamed until it is whole: no journal to protect it, no sync per
                # step (SQLite's own commit would sync four times); one fsync before it takes its name
                dest.execute("PRAGMA journal_mode = OFF")
                dest.execute("PRAGMA synchronous = OFF")
                source.backup(dest)
                verdict = soundness(dest) or "ok"
            finally:
                dest.close()
        finally:
            source.close()
        if verdict != "ok":
            raise sqlite3.DatabaseError(f"the backup is not sound: {verdict}")
        with partial.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(partial, target)
        _note_source(target, state)
        fsync_folder(folder)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    for old in backups_of(state_dir, label)[keep:]:
        old.unlink(missing_ok=True)
        _source_note(old).unlink(missing_ok=True)
    return target


def fingerprint(db_path: Path) -> str:
    """The database file's state as the file system sees it (identity, size, last write), with its WAL."""
    parts = []
    for path in (db_path, Path(str(db_path) + "-wal")):
        try:
            st = os.stat(path)
            parts.append(f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            parts.append("-")
    return " ".join(parts)


def _note_source(backup: Path, state: str) -> None:
    """Record what a backup was copied from, beside it (advisory: without it, the next change copies again;
    so no sync of its own)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(_source_note(backup), flags, 0o600)
    except OSError:
        return
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(state)


def _source_note(backup: Path) -> Path:
    return backup.with_name(backup.name + ".src")


def _source_of(backup: Path) -> str:
    """The fingerprint of the file a backup was copied from ("" when not recorded)."""
    try:
        return _source_note(backup).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""


def untrusted(path: Path) -> str:
    """Why a backup must not be restored (another user could have planted it), or ""."""
    if os.name != "posix":
        return ""
    me = os.geteuid()
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    if st.st_uid not in (me, 0):
        return f"owned by another user (uid {st.st_uid})"
    for folder in (path.parent, path.parent.parent):
        fst = os.lstat(folder)
        if fst.st_mode & (stat.S_IWGRP | stat.S_IWOTH) or fst.st_uid not in (me, 0):
            return f"its folder {folder.name} may be written by other users"
    return ""


def newest_good_backup(state_dir: Path, label: str) -> tuple[Optional[Path], list[str]]:
    """The newest trusted backup that passes PRAGMA integrity_check, and why newer ones were skipped."""
    skipped: list[str] = []
    for candidate in backups_of(state_dir, label):
        try:
            why = untrusted(candidate)
            if not why:
                conn = connect(candidate, readonly=True, timeout=1.0)
                try:
                    verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
                finally:
                    conn.close()
                if verdict == "ok":
                    return candidate, skipped
                why = f"fails integrity_check ({verdict})"
        except (OSError, sqlite3.Error, UnicodeDecodeError) as exc:
            why = f"unreadable ({exc})"
        skipped.append(f"{candidate.name}: {why}")
    return None, skipped
