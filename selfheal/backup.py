"""Consistent backups of a database before it is changed, and restore of the newest good one."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

from .dbfile import connect, soundness


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
    """Copy the database with SQLite's backup API, verify it, keep only the newest `keep`."""
    folder = backup_folder(state_dir, label)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"{stamp}.bak"
    partial = target.with_suffix(".partial")
    source = connect(db_path, readonly=True, timeout=timeout)
    try:
        dest = sqlite3.connect(partial)
        try:
            source.backup(dest)
            verdict = soundness(dest) or "ok"
        finally:
            dest.close()
    finally:
        source.close()
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise sqlite3.DatabaseError(f"the backup is not sound: {verdict}")
    partial.replace(target)
    for old in backups_of(state_dir, label)[keep:]:
        old.unlink(missing_ok=True)
    return target


def newest_good_backup(state_dir: Path, label: str) -> Optional[Path]:
    """The newest backup that passes PRAGMA integrity_check."""
    for candidate in backups_of(state_dir, label):
        try:
            conn = connect(candidate, readonly=True, timeout=1.0)
            try:
                if conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok":
                    return candidate
            finally:
                conn.close()
        except sqlite3.DatabaseError:
            continue
    return None
