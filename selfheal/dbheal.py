"""Check and heal one database file: read-only inspection, then one verified transaction."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional

from . import catalog, journal
from .backup import backup_folder, write_backup
from .context import RunContext
from .dbfile import (
    QUICK_CHECK_EVERY_RUN_BYTES,
    cache_key,
    connect,
    error_text,
    header_problem,
    is_corruption,
    quick_check,
    reading,
    soundness,
)
from .findings import Finding, Status, command, plural
from .lock import ProjectLocked, failure
from .model import Database, fold
from .ops import (
    AddColumn,
    AddColumnsInBulk,
    CreateTable,
    CreateTrigger,
    CreateView,
    InsertRows,
    Op,
    RebuildTable,
    RebuildTablesInBulk,
    op_table,
    op_tables,
    op_target,
    op_targets,
)
from .plan import Facts, FactsNeeded, Plan, facts_needed, plan
from .safefile import fsync_folder, new_file_beside
from .sql import clash_query, nonempty_query, quote_ident, quote_literal


class HealFailed(Exception):
    """A heal was rolled back; the message says why."""


def check_database(ctx: RunContext, desired: Database, path: Path, label: str, create: bool = True) -> list[Finding]:
    """Check one database file against its declaration; heal it when the run may."""
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
        return [_corrupt(label, problem)]
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
        return [note, _sqlite_error(label, exc, timeout)]
    return [note, corrupt] if corrupt else [note] + report_plan(desired, label, the_plan, healed=False)


def _inspect(conn: sqlite3.Connection, desired: Database, label: str, path: Path) -> tuple[Optional[Finding], Plan]:
    """Read-only: a corruption finding, or the plan that would make the database match."""
    if path.stat().st_size <= QUICK_CHECK_EVERY_RUN_BYTES:
        problem = soundness(conn)
        if problem:
            return _corrupt(label, problem), Plan()
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
        return [_sqlite_error(label, exc, timeout)]
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


def row_facts(conn: Any, needed: FactsNeeded) -> tuple[frozenset[str], dict[tuple[str, tuple[str, ...]], int]]:
    """Which tables have rows and how many rows each planned unique index would clash on (the same
    SQL on both engines; `conn` is an sqlite3 or a psycopg connection)."""
    nonempty = frozenset(fold(t) for t in needed.emptiness if conn.execute(nonempty_query(t)).fetchone()[0])
    clashes = {}
    for table, cols in needed.uniqueness:
        count = conn.execute(clash_query(table, cols)).fetchone()[0]
        if count:
            clashes[(table, cols)] = int(count)
    return nonempty, clashes


def gather_facts(conn: sqlite3.Connection, needed: FactsNeeded) -> Facts:
    """Answer the planner's questions about rows with a query each."""
    nonempty, clashes = row_facts(conn, needed)
    parent_rows = frozenset(
        (fold(parent), fold(column), value) for parent, column, value in needed.parent_values
        if conn.execute(f"SELECT EXISTS (SELECT 1 FROM {quote_ident(parent)} WHERE {quote_ident(column)} = "
                        f"{value})").fetchone()[0]
    )
    seed_rows = {}
    for table, key_cols, key, readable in needed.seeds:
        where = " AND ".join(f"{quote_ident(c)} IS ?" for c in key_cols)
        selected = ", ".join(map(quote_ident, readable)) or "1"
        row = conn.execute(f"SELECT {selected} FROM {quote_ident(table)} WHERE {where}", key).fetchone()
        if row is not None:
            seed_rows[(fold(table), key)] = {fold(c): v for c, v in zip(readable, row, strict=False)}
    return Facts(nonempty=nonempty, clashes=clashes, parent_rows=parent_rows, seed_rows=seed_rows)


def _corrupt(label: str, problem: str) -> Finding:
    return Finding("db.integrity", label, Status.ERROR, f"database is corrupt: {problem}",
                   hint=f"it was not touched; {command('heal.db --restore')} moves it aside and restores the newest "
                        "good backup")


def _sqlite_error(label: str, exc: BaseException, timeout: float, otherwise: Optional[str] = None) -> Finding:
    """The SQLite error as something to act on: locked, corrupt, no permission, or `otherwise`."""
    text = error_text(exc)
    if is_corruption(exc):
        return _corrupt(label, text)
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


def _op_findings(label: str, ops: list[Op], healed: bool,
                 render: Optional[Callable[[Op], list[str]]] = None) -> list[Finding]:
    """One finding per created object; a rebuild gives one per added column, the first carrying the SQL."""
    out = []
    for op in ops:
        action = ";\n".join(render(op) if render else op.statements())
        targets = op_targets(label, op)
        added, described = _added(op), op.describe() if healed else ""
        for i, target in enumerate(targets):
            step = action if i == 0 else f"(in the {_kind(op)} of {label}:{op_table(op)} above)"
            if healed:
                message = described
                if isinstance(op, (RebuildTable, RebuildTablesInBulk)):
                    message = f"added column {added[i]} (table rebuilt: rows, indexes and triggers kept)"
                elif isinstance(op, AddColumnsInBulk):
                    message = f"added column {added[i]} (one schema update for {len(targets)} columns)"
                elif isinstance(op, InsertRows):
                    message = "inserted seed row"
                out.append(Finding(op.check, target, Status.HEALED, message, action=step))
            else:
                out.append(Finding(op.check, target, Status.ERROR, _would(op),
                                   hint=f"run {command('heal.db')} to apply it", action=step))
    return out


def _added(op: Op) -> list[str]:
    """The names of the columns a rebuild or a bulk addition adds, in the order of its targets."""
    if isinstance(op, RebuildTable):
        return [c.name for c in op.new_columns]
    if isinstance(op, RebuildTablesInBulk):
        return [c.name for r in op.rebuilds for c in r.new_columns]
    if isinstance(op, AddColumnsInBulk):
        return [c.name for _, cols in op.tables for c in cols]
    return []


def _kind(op: Op) -> str:
    if isinstance(op, (RebuildTable, RebuildTablesInBulk)):
        return "rebuild"
    return "inserts" if isinstance(op, InsertRows) else "schema update"


def _would(op: Op) -> str:
    if isinstance(op, CreateTable):
        return "table is missing (heal would create it)"
    if isinstance(op, InsertRows):
        return "seed row is missing (heal would insert it)"
    if isinstance(op, (CreateView, CreateTrigger)):
        kind = "view" if isinstance(op, CreateView) else "trigger"
        if op.replaces:
            return f"{kind} differs from schema.json (heal would replace it)"
        return f"{kind} is missing (heal would create it)"
    if isinstance(op, (AddColumn, AddColumnsInBulk, RebuildTable, RebuildTablesInBulk)):
        how = " by rebuilding the table" if isinstance(op, (RebuildTable, RebuildTablesInBulk)) else ""
        return f"column is missing (heal would add it{how})"
    return "index is missing (heal would create it)"


def report_plan(desired: Database, label: str, the_plan: Plan, healed: bool, created: bool = False,
                render: Optional[Callable[[Op], list[str]]] = None) -> list[Finding]:
    """The findings of one planned (or applied) database: file, tables as declared, operations, the rest."""
    out = []
    if created:
        out.append(Finding("db.file", label, Status.HEALED,
                           f"created database ({plural(len(desired.tables), 'table')})", action="create file"))
    elif the_plan.create_file:
        out.append(Finding("db.file", label, Status.ERROR, "database file is missing (heal would create it)",
                           hint=f"run {command('heal.db')} to create it", action="create file"))
    else:
        out.append(Finding("db.file", label, Status.OK, "present and readable"))
    changed_tables = {fold(name) for op in the_plan.ops for name in op_tables(op)}
    for table in desired.tables:
        if fold(table.name) not in changed_tables:
            out.append(Finding("db.table", f"{label}:{table.name}", Status.OK,
                               f"{plural(len(table.columns), 'column')}, "
                               f"{plural(len(table.indexes), 'index', 'indexes')} as declared"))
    out.extend(_op_findings(label, the_plan.ops, healed, render))
    out.extend(the_plan.findings)
    return out


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
            _apply(conn, desired, label, the_plan.ops, Facts())
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
        return [_sqlite_error(label, exc, timeout)]
    try:
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            return [_sqlite_error(label, exc, timeout)]
        problem = soundness(conn)
        if problem:
            conn.execute("ROLLBACK")
            return [_corrupt(label, problem)]
        actual = catalog.read(conn, label)  # re-read under the write lock: nobody changes it now
        facts = gather_facts(conn, facts_needed(desired, actual))
        the_plan = plan(desired, actual, facts, label)
        if not the_plan.ops:
            conn.execute("ROLLBACK")
            return report_plan(desired, label, the_plan, healed=False)
        backup_note = ""
        if ctx.backup and actual.tables:
            try:
                saved = write_backup(path, ctx.project.state_dir, label, ctx.project.backups_keep, timeout)
            except (OSError, sqlite3.Error) as exc:
                conn.execute("ROLLBACK")
                return [Finding("db.file", label, Status.ERROR, f"no change made: the backup failed ({exc})",
                                hint="free disk space or fix permissions of .selfheal/backups, or heal with "
                                     "--no-backup")]
            ctx.audit.record("db.backup", label, f"backup to {saved.relative_to(ctx.project.root).as_posix()}",
                             "written")
        elif actual.tables:
            backup_note = " (no backup: --no-backup)"
        _apply(conn, desired, label, the_plan.ops, facts)
    except (sqlite3.Error, HealFailed, ValueError, UnicodeDecodeError) as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        ctx.audit.record("db.file", label, "heal", f"rolled back: {error_text(exc)}")
        return [_heal_failed(label, exc, timeout)]
    finally:
        conn.close()
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
    if isinstance(exc, sqlite3.Error) and not is_corruption(exc):
        found = _sqlite_error(label, exc, timeout, otherwise="")
        if found.message:
            return found
    return Finding("db.file", label, Status.ERROR, f"heal rolled back, nothing was changed: {text}",
                   hint="the database is as it was; fix the cause named above (or report it), then heal again")


def _apply(conn: sqlite3.Connection, desired: Database, label: str, ops: list[Op], facts: Facts) -> None:
    """Run the operations in one transaction, verify the result, commit; roll back on any doubt."""
    if not conn.in_transaction:
        conn.execute("BEGIN IMMEDIATE")
    watched = _fk_watch(conn, ops)
    fk_before = _fk_violations(conn, watched)
    rows_before = {name: _count(conn, name) for name in _rebuilt(ops)}
    for op in ops:
        for statement in op.statements():
            if statement == "PRAGMA schema_version = <current + 1>":
                # bump past the current value so every connection re-reads the rewritten schema
                statement = f"PRAGMA schema_version = {conn.execute('PRAGMA schema_version').fetchone()[0] + 1}"
            conn.execute(statement)
    for table, count in rows_before.items():
        if _count(conn, table) != count:
            raise HealFailed(f"row count of {table} changed during the rebuild")
    new_violations = _fk_violations(conn, watched) - fk_before
    if new_violations:
        raise HealFailed(f"the change would break {len(new_violations)} foreign key reference(s)")
    after = catalog.read(conn, label)
    leftover = plan(desired, after, gather_facts(conn, facts_needed(desired, after)), label)
    if leftover.ops:
        raise HealFailed("the database still differs after healing: " + ", ".join(
            op_target(label, op) for op in leftover.ops))
    _reindex_changed_meaning(conn, after, ops)
    changed = {name for op in ops if not isinstance(op, (CreateTable, CreateView, CreateTrigger))
               for name in op_tables(op)}
    for table in sorted(changed):
        problem = conn.execute(f"PRAGMA integrity_check({quote_literal(table)})").fetchone()[0]
        if problem != "ok":
            raise HealFailed(f"integrity_check of {table} failed after the change: {problem}")
    problem = quick_check(conn)
    if problem:
        raise HealFailed(f"quick_check failed after the change: {problem}")
    conn.execute("COMMIT")


def _reindex_changed_meaning(conn: sqlite3.Connection, after: Database, ops: list[Op]) -> None:
    """REINDEX indexes that name a column this heal added: before it, SQLite read that name as a string.

    (`CREATE INDEX ix ON t("b")` without a column b indexes the text 'b'; once b exists, the same SQL
    means the column, and the stored index no longer matches its definition.)"""
    added: dict[str, set[str]] = {}
    for op in ops:
        if isinstance(op, AddColumn):
            added.setdefault(fold(op.table), set()).add(fold(op.column.name))
        elif isinstance(op, AddColumnsInBulk):
            for live, cols in op.tables:
                added.setdefault(fold(live.name), set()).update(fold(c.name) for c in cols)
    for table_key, names in added.items():
        table = after.table(table_key)
        for index in table.indexes if table else ():
            if index.sql and any(name in fold(index.sql) for name in names):
                conn.execute(f"REINDEX main.{quote_ident(index.name or '')}")  # main.: never a collation


def _rebuilt(ops: list[Op]) -> list[str]:
    """Names of the tables the operations rebuild."""
    return [name for op in ops if isinstance(op, (RebuildTable, RebuildTablesInBulk)) for name in op_tables(op)]


def _count(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f"SELECT COUNT(*) FROM {quote_ident(table)}").fetchone()[0])


def _fk_watch(conn: sqlite3.Connection, ops: list[Op]) -> list[str]:
    """Tables whose foreign keys a change could break: rebuilt ones, their children, new references."""
    rebuilt = _rebuilt(ops)
    watched = set(rebuilt)
    watched.update(op.table for op in ops if isinstance(op, AddColumn) and op.column.references)
    if rebuilt:  # their children, found in one pass over every foreign key (not one pass per parent)
        parents = {fold(name) for name in rebuilt}
        watched.update(child for child, parent in conn.execute(
            "SELECT DISTINCT m.name, f.\"table\" FROM sqlite_master AS m, pragma_foreign_key_list(m.name) AS f "
            "WHERE m.type = 'table'") if fold(parent) in parents)
    return sorted(watched)


def _fk_violations(conn: sqlite3.Connection, tables: list[str]) -> set[tuple[object, ...]]:
    """(table, rowid, parent, child columns) of every broken reference.

    foreign_key_check's own id numbers a table's keys and shifts when a key is added, so a key is
    named by its columns: an old violation then never looks new."""
    found: set[tuple[object, ...]] = set()
    for table in tables:
        columns: dict[int, list[str]] = {}
        for fk_id, col in conn.execute(f"SELECT id, \"from\" FROM pragma_foreign_key_list({quote_literal(table)}) "
                                       "ORDER BY id, seq"):
            columns.setdefault(fk_id, []).append(fold(col))
        try:
            checked = conn.execute(f"PRAGMA foreign_key_check({quote_ident(table)})").fetchall()
        except sqlite3.OperationalError as exc:  # "foreign key mismatch": the table's keys cannot be checked
            found.add((fold(table), None, error_text(exc), ()))
            continue
        for child, rowid, parent, fk_id in checked:
            found.add((fold(child), rowid, fold(parent), tuple(columns.get(fk_id, ()))))
    return found
