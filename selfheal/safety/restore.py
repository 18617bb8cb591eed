"""heal.db --restore for a file: move a corrupt database aside and put its newest good backup in its place."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from selfheal.findings import Finding, Status
from selfheal.safety.audit import Audit
from selfheal.safety.backup import newest_good_backup
from selfheal.safety.journal import is_junk, journal_of, needs_recovery, sound_alone
from selfheal.safety.lock import failure
from selfheal.safety.safefile import UnsafePath, link_problem, new_file_beside, project_owner
from selfheal.safety.sqlitefile import connect, error_text, header_problem, is_corruption, soundness


def corruption(path: Path, timeout: float) -> str:
    """The first problem that makes the file unusable, or "" when it is sound (or merely unreadable).

    Only a file SQLite itself calls damaged counts: a locked, unreadable or read-only file, or one
    with a leftover journal to roll back (SQLite's crash recovery), is never restored over."""
    try:
        problem = header_problem(path)
        if problem:
            return problem
        if needs_recovery(path, timeout):
            if not is_junk(journal_of(path)):
                return ""  # a real hot journal: the database check recovers it, with a backup of the pair first
            problem = sound_alone(path, timeout)  # junk holds nothing to recover: judge the file alone
            return f"{problem} (and its -journal is not an SQLite journal)" if problem else ""
        conn = connect(path, readonly=True, timeout=timeout)
        try:
            return soundness(conn)
        finally:
            conn.close()
    except OSError:
        return ""
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        return error_text(exc) if is_corruption(exc) else ""


def age_of(backup: Path) -> str:
    """ " (made 3 hours ago)" from a backup's name (its UTC time), "" when the name says no time."""
    try:
        made = datetime.strptime(backup.name.split(".")[0], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return ""
    seconds = max(0, int((datetime.now(timezone.utc) - made).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f" (made {count} {unit}{'s' if count != 1 else ''} ago: changes since then are not in it)"
    return f" (made {seconds} second{'s' if seconds != 1 else ''} ago)"


def restore(path: Path, label: str, problem: str, *, root: Path, state_dir: Path, healing: bool,
            take_lock: Callable[[], None], audit: Audit) -> Finding:
    """Move a corrupt database aside and copy its newest good backup in its place (or say why not)."""
    backup, skipped = newest_good_backup(state_dir, label)
    passed_over = f" (passed over: {'; '.join(skipped)})" if skipped else ""
    if backup is None:
        return Finding("db.restore", label, Status.ERROR, f"corrupt ({problem}) and no good backup exists"
                       f"{passed_over}; left as it was",
                       hint="recover it with the sqlite3 shell's .recover, or from your own copies")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    shown = backup.relative_to(root).as_posix()
    action = f"move {label} to {aside.name}; copy {shown} to {label}"
    if not healing:
        return Finding("db.restore", label, Status.ERROR, f"corrupt ({problem}); would restore {backup.name}, "
                       f"the newest good backup{age_of(backup)}{passed_over}", action=action)
    temp = None
    moved: list[str] = []
    try:
        take_lock()
        problem_link = link_problem(path, project_owner(root))
        if problem_link:
            raise UnsafePath(problem_link)
        original = os.stat(path)
        temp = new_file_beside(path, stat.S_IMODE(original.st_mode))  # the database's own mode, a fresh name
        with backup.open("rb") as src, temp.open("r+b") as out:
            shutil.copyfileobj(src, out)
            out.flush()
            os.fsync(out.fileno())
        if hasattr(os, "chown") and os.geteuid() == 0:
            os.chown(temp, original.st_uid, original.st_gid)  # root restores a file for its owner
        os.chmod(temp, stat.S_IMODE(original.st_mode))
        os.replace(path, aside)  # moved aside, never deleted
        for suffix in ("-journal", "-wal", "-shm"):  # a stale journal belongs to the corrupt file
            side = Path(str(path) + suffix)
            if side.exists():
                os.replace(side, Path(str(aside) + suffix))
                moved.append(aside.name + suffix)
        os.replace(temp, path)
    except Exception as exc:
        if temp is not None:
            temp.unlink(missing_ok=True)
        reason, hint = failure(exc, "check permissions of the database folder")
        return Finding("db.restore", label, Status.ERROR, f"restore failed: {reason}", hint=hint)
    audit.record("db.restore", label, action, "applied")
    return Finding("db.restore", label, Status.HEALED, f"was corrupt ({problem}); restored {backup.name}, the "
                   f"newest good backup{age_of(backup)}{passed_over}; the corrupt file kept as {aside.name}"
                   + (f" (with {', '.join(moved)})" if moved else ""), action=action)
