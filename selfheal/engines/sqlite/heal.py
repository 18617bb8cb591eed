"""Check and heal one database file: read-only inspection, then one verified transaction."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Optional

from selfheal.context import RunContext
from selfheal.engines.sqlite import catalog, progress
from selfheal.engines.sqlite.apply import HealFailed, apply_plan, gather_facts
from selfheal.engines.sqlite.files import QUICK_CHECK_EVERY_RUN_BYTES, cache_key
from selfheal.findings import Finding, Status, command
from selfheal.model import Database
from selfheal.planning.ops import (
    Op,
    op_target,
)
from selfheal.planning.outcome import report_plan
from selfheal.planning.plan import Facts, Plan, facts_needed, plan
from selfheal.safety import journal
from selfheal.safety.backup import backup_folder, backups_of, write_backup
from selfheal.safety.lock import ProjectLocked, failure
from selfheal.safety.safefile import fsync_folder, new_file_beside
from selfheal.safety.sqlitefile import (
    connect,
    error_text,
    header_problem,
    is_corruption,
    reading,
    soundness,
)


def check_database(ctx: RunContext, desired: Database, path: Path, label: str, create: bool = True) -> list[Finding]:
    """Check one database file against its declaration; heal it when the run may."""
    findings = _check_file(ctx, desired, path, label, create)
    if any(f.check == "db.integrity" for f in findings) and not backups_of(ctx.project.state_dir, label):
        hint = ("it was not touched, and selfheal has no backup of it: recover it with the sqlite3 shell's "
                ".recover, or from your own copies")
        findings = [replace(f, hint=hint) if f.check == "db.integrity" else f for f in findings]
    return findings


def _check_file(ctx: RunContext, desired: Database, path: Path, label: str, create: bool) -> list[Finding]:
    timeout = ctx.project.lock_timeout
    if not path.exists():
        if not create:
            return []
        return _missing_file(ctx, desired, path, label)
    if not path.is_file():
        return [Finding("db.file", label, Status.ERROR, "exists but is not a file",
                        hint="move it out of the way; selfheal will create the database")]
    try:
        problem = header_problem(path)
    except OSError as exc:
        return [_unreadable(label, exc)]
    if problem:
        return [corrupt(label, problem)]
    recovered: list[Finding] = []
    try:
        if journal.needs_recovery(path, timeout):
            if not ctx.healing:
                return _check_recovered_copy(ctx, desired, path, label)
            ctx.lock()
            # another run, or the app's own read-write open, may have recovered it meanwhile
            done = journal.needs_recovery(path, timeout) and journal.recover(
                path, label, ctx.project.state_dir, backup_folder(ctx.project.state_dir, label), timeout)
            if done:
                recovered.append(done)
                ctx.audit.record("db.recovered", label, done.action, "applied")
    except Exception as exc:  # RecoveryFailed, ProjectLocked, OSError, sqlite3.Error: the file is as it was
        if is_corruption(exc) and journal.is_junk(journal.journal_of(path)):  # nothing to recover: it is damaged
            return [corrupt(label, f"{error_text(exc)} (and its -journal is not an SQLite journal)")]
        reason, hint = failure(exc, "nothing was lost: the database and its journal were left in place (and backed "
                               "up where possible); open it with the sqlite3 shell as its owner")
        if not isinstance(exc, OSError):
            reason = error_text(exc)
        return [Finding("db.recovered", label, Status.ERROR, f"{journal.describe(path)} could not be recovered: "
                        f"{reason}", hint=hint)]
    return recovered + _check_sound_file(ctx, desired, path, label)


def _unreadable(label: str, exc: OSError) -> Finding:
    return Finding("db.file", label, Status.ERROR, f"cannot read the database: {exc.strerror or exc}",
                   hint="this user needs read and write permission on the file and its folder")


def _check_recovered_copy(ctx: RunContext, desired: Database, path: Path, label: str) -> list[Finding]:
    """A read-only run over a file with a leftover journal: inspect a recovered private copy."""
    timeout = ctx.project.lock_timeout
    note = Finding("db.recovered", label, Status.WARNING,
                   f"{journal.describe(path)}: heal would back up the database and journal, then "
                   f"{journal.remedy(path)} (checked on a recovered copy)", action="back up; recover",
                   hint="run the heal (or simply start the app, SQLite recovers on its first write)")
    try:
        with journal.recovered_copy(path, timeout) as copy, reading(copy, timeout) as conn:
            corrupt, the_plan = _inspect(conn, desired, label, copy)
    except (sqlite3.Error, OSError, UnicodeDecodeError) as exc:
        return [note, sqlite_error(label, exc, timeout)]
    return [note, corrupt] if corrupt else [note] + report_plan(desired, label, the_plan, healed=False)


def _inspect(conn: sqlite3.Connection, desired: Database, label: str, path: Path) -> tuple[Optional[Finding], Plan]:
    """Read-only: a corruption finding, or the plan that would make the database match."""
    if path.stat().st_size <= QUICK_CHECK_EVERY_RUN_BYTES:
        problem = soundness(conn)
        if problem:
            return corrupt(label, problem), Plan()
    return None, _plan_live(conn, desired, label)


def _check_sound_file(ctx: RunContext, desired: Database, path: Path, label: str) -> list[Finding]:
    timeout = ctx.project.lock_timeout
    try:
        with reading(path, timeout) as conn:
            corrupt, the_plan = _inspect(conn, desired, label, path)
            if corrupt:
                return [corrupt]
            if not the_plan.ops:
                findings = report_plan(desired, label, the_plan, healed=False)
                ctx.cache.put("db:" + label, cache_key(conn, path, desired, ctx.project.declarations), findings)
                return findings
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        return [sqlite_error(label, exc, timeout)]
    except OSError as exc:
        return [_unreadable(label, exc)]
    ctx.cache.forget("db:" + label)
    if not ctx.healing:
        return report_plan(desired, label, the_plan, healed=False)
    try:
        ctx.lock()
    except Exception as exc:  # ProjectLocked or an unusable .selfheal/
        reason, hint = failure(exc, "this user must be able to write .selfheal/ beside schema.json")
        return [Finding("db.file", label, Status.ERROR, f"not healed: {reason}", hint=hint)]
    return _heal_existing(ctx, desired, path, label)


def _plan_live(conn: sqlite3.Connection, desired: Database, label: str) -> Plan:
    actual = catalog.read(conn, label)
    return plan(desired, actual, gather_facts(conn, facts_needed(desired, actual)), label)


def corrupt(label: str, problem: str) -> Finding:
    """A database SQLite calls damaged: it is never written to."""
    return Finding("db.integrity", label, Status.ERROR, f"database is corrupt: {problem}",
                   hint=f"it was not touched; {command('heal.db --restore')} moves it aside and restores the newest "
                        "good backup")


def sqlite_error(label: str, exc: BaseException, timeout: float, otherwise: Optional[str] = None) -> Finding:
    """The SQLite error as something to act on: locked, corrupt, no permission, or `otherwise`."""
    text = error_text(exc)
    if is_corruption(exc):
        return corrupt(label, text)
    if "locked" in text or "busy" in text:
        return Finding("db.file", label, Status.ERROR,
                       f"locked by another process (waited {timeout:g} s); nothing was changed",
                       hint="stop the process that holds it, or raise settings.lock_timeout, then retry")
    if "readonly" in text or "unable to open" in text or "disk I/O" in text:
        return Finding("db.file", label, Status.ERROR, f"cannot write the database ({text}); nothing was changed",
                       hint="this user needs write permission on the file and on its folder (for the journal)")
    if otherwise is not None:
        return Finding("db.file", label, Status.ERROR, otherwise)
    return Finding("db.file", label, Status.ERROR, f"SQLite error: {text}; nothing was changed")


def _missing_file(ctx: RunContext, desired: Database, path: Path, label: str) -> list[Finding]:
    the_plan = plan(desired, None, label=label)
    if not ctx.healing:
        return report_plan(desired, label, the_plan, healed=False)
    try:
        ctx.lock()
        if path.exists():  # another run created it while we waited for the lock
            return check_database(ctx, desired, path, label)
        _create_file(ctx, desired, path, label, the_plan)
    except (ProjectLocked, OSError) as exc:
        reason, hint = failure(exc, f"{path.parent} must be a folder this user may write")
        return [Finding("db.file", label, Status.ERROR, f"cannot create the database: {reason}", hint=hint)]
    except Exception as exc:  # sqlite3.Error, HealFailed: SQLite refused the declaration
        return [Finding("db.file", label, Status.ERROR, f"cannot create the database: {error_text(exc)}; "
                        "nothing was created", hint="fix the declaration named above (or report it), then heal again")]
    ctx.audit.record("db.file", label, "create file", "applied")
    for op in the_plan.ops:
        _audit_op(ctx, label, op)
    return report_plan(desired, label, the_plan, healed=True, created=True)


def _create_file(ctx: RunContext, desired: Database, path: Path, label: str, the_plan: Plan) -> None:
    """Build the new database beside its place and move it in, so it appears whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = new_file_beside(path, 0o644)  # a fresh name: a link planted at a predictable one is never followed
    try:
        conn = _writer(temp, ctx.project.lock_timeout)
        try:
            apply_plan(conn, desired, label, the_plan.ops, Facts())
        finally:
            conn.close()
        with temp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(temp, path)
    except BaseException:
        for leftover in (temp, Path(str(temp) + "-journal")):
            leftover.unlink(missing_ok=True)
        raise
    fsync_folder(path.parent)


def _writer(path: Path, timeout: float) -> sqlite3.Connection:
    conn = connect(path, readonly=False, timeout=timeout)
    conn.execute("PRAGMA foreign_keys = OFF")  # a no-op inside a transaction: set before BEGIN
    conn.execute("PRAGMA legacy_alter_table = ON")  # rename aside without rewriting other objects
    return conn


def _heal_existing(ctx: RunContext, desired: Database, path: Path, label: str) -> list[Finding]:
    timeout = ctx.project.lock_timeout
    try:
        conn = _writer(path, timeout)
    except sqlite3.Error as exc:
        return [sqlite_error(label, exc, timeout)]
    try:
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            return [sqlite_error(label, exc, timeout)]
        problem = soundness(conn)
        if problem:
            conn.execute("ROLLBACK")
            return [corrupt(label, problem)]
        actual = catalog.read(conn, label)  # re-read under the write lock: nobody changes it now
        facts = gather_facts(conn, facts_needed(desired, actual))
        the_plan = plan(desired, actual, facts, label)
        if not the_plan.ops:
            conn.execute("ROLLBACK")
            return report_plan(desired, label, the_plan, healed=False)
        backup_note, backup_record = "", ""
        if ctx.backup and actual.tables:
            try:
                saved = write_backup(path, ctx.project.state_dir, label, ctx.project.backups_keep, timeout)
            except (OSError, sqlite3.Error) as exc:
                conn.execute("ROLLBACK")
                return [Finding("db.file", label, Status.ERROR, f"no change made: the backup failed ({exc})",
                                hint="free disk space or fix permissions of .selfheal/backups, or heal with "
                                     "--no-backup")]
            backup_record = f"backup to {saved.relative_to(ctx.project.root).as_posix()}"
        elif actual.tables:
            backup_note = " (no backup: --no-backup)"
        with progress.shown(conn, f"healing {label}"):
            apply_plan(conn, desired, label, the_plan.ops, facts)
    except (sqlite3.Error, HealFailed, ValueError, UnicodeDecodeError) as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        ctx.audit.record("db.file", label, "heal", f"rolled back: {error_text(exc)}")
        return [_heal_failed(label, exc, timeout)]
    finally:
        conn.close()
    if backup_record:  # the audit trail is written once the database is no longer locked
        ctx.audit.record("db.backup", label, backup_record, "written")
    for op in the_plan.ops:
        _audit_op(ctx, label, op)
    findings = report_plan(desired, label, the_plan, healed=True)
    if backup_note:
        findings.append(Finding("db.backup", label, Status.OK, "changed without a backup" + backup_note,
                                notable=True))
    return findings


def _audit_op(ctx: RunContext, label: str, op: Op) -> None:
    """One audit line per applied operation; a replaced view or trigger keeps its old definition there."""
    replaced = getattr(op, "replaces", None)
    extra = {"replaced": replaced} if replaced else {}
    ctx.audit.record(op.check, op_target(label, op), ";\n".join(op.statements()), "applied", **extra)


def _heal_failed(label: str, exc: BaseException, timeout: float) -> Finding:
    """A rolled-back heal: locked or read-only as such; anything else (even SQLite calling its own
    rejected change "malformed") is the change's fault, never the sound file's, so never "corrupt"."""
    text = error_text(exc)
    cause = exc.__cause__ if isinstance(exc, HealFailed) and isinstance(exc.__cause__, sqlite3.Error) else exc
    if isinstance(cause, sqlite3.Error) and not is_corruption(cause):
        found = sqlite_error(label, cause, timeout, otherwise="")
        if found.message:
            return found
    return Finding("db.file", label, Status.ERROR, f"heal rolled back, nothing was changed: {text}",
                   hint="the database is as it was; fix the cause named above (or report it), then heal again")


