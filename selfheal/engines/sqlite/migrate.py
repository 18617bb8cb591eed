"""A reviewable migration for drift heal will not apply (a type, NOT NULL, a default, a CHECK, COLLATE,
a foreign key action, UNIQUE, the primary key): SQLite's rebuild sequence per table, with the rows each
step touches counted, the steps that change values marked, and those the rows refuse named. It runs only
when asked (`migrate --apply`): one transaction, a backup first, row counts verified before COMMIT."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from selfheal.engines.sqlite import catalog
from selfheal.findings import Finding, Status
from selfheal.model import Database, Table, fold
from selfheal.planning.differences import Difference, compare
from selfheal.planning.migration import Step, TableMigration, render_script
from selfheal.planning.plan import free_name
from selfheal.planning.sql import (
    column_definitions,
    create_table,
    has_keyword,
    quote_ident,
    quote_literal,
    rowid_alias,
    splice_columns,
)

if TYPE_CHECKING:
    from selfheal.context import RunContext

STRUCTURAL = {"table", "column", "index", "file"}  # missing or undeclared objects: heal's business, not a migration


def plan_migration(conn: sqlite3.Connection, desired: Database, label: str) -> list[TableMigration]:
    """A rebuild for every declared table whose existing columns or constraints differ from the declaration."""
    live_db = catalog.read(conn, label)
    drift: dict[str, list[Difference]] = {}
    for diff in compare(desired, live_db, label):
        if diff.aspect not in STRUCTURAL:
            drift.setdefault(fold(diff.target.split(":", 1)[1].split(".")[0]), []).append(diff)
    out = []
    taken = set(live_db.object_names)
    for table in desired.tables:
        live = live_db.table(table.name)
        if live is not None and fold(table.name) in drift:
            reasons = [f"{d.target.split(':', 1)[1]}: {d.aspect} {d.actual} → {d.declared}"
                       for d in drift[fold(table.name)]]
            out.append(_rebuild(conn, table, live, reasons, taken))
    return out


def _rebuild(conn: sqlite3.Connection, table: Table, live: Table, reasons: list[str],
             taken: set[str]) -> TableMigration:
    name = quote_ident(live.name)
    rows = conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
    extras = [c for c in live.columns if not c.hidden and table.column(c.name) is None]  # kept, never dropped
    definitions = column_definitions(live.sql)
    new_sql = create_table(replace(table, name=live.name))
    if extras:
        new_sql = splice_columns(new_sql, [definitions.get(fold(c.name), quote_ident(c.name)) for c in extras])
    copied = [c.name for c in table.columns if not c.generated and live.column(c.name) is not None]
    copied += [c.name for c in extras]
    rowid = "" if live.without_rowid else rowid_alias([c.name for c in live.columns] + [c.name for c in table.columns])
    aside = free_name(f"{live.name}__selfheal_migrate", taken)
    cols = ", ".join(quote_ident(c) for c in copied)
    copy_cols = f"{rowid}, {cols}" if rowid else cols
    migration = TableMigration(live.name, rows, reasons)
    migration.steps.append(Step(f"ALTER TABLE {name} RENAME TO {quote_ident(aside)}", "set the table aside"))
    migration.steps.append(Step(new_sql, "the table as declared" + (
        f" (columns it does not declare kept: {', '.join(c.name for c in extras)})" if extras else "")))
    copy = Step(f"INSERT INTO {name} ({copy_cols}) SELECT {copy_cols} FROM {quote_ident(aside)}",
                f"copies {rows:,} row{'s' if rows != 1 else ''}")
    _judge_copy(conn, table, live, copy)
    migration.steps.append(copy)
    if has_keyword(new_sql, "AUTOINCREMENT") and has_keyword(live.sql, "AUTOINCREMENT"):
        seq, mine = quote_literal(aside), quote_literal(live.name)  # ids of deleted rows are never reused
        migration.steps.append(Step(f"UPDATE sqlite_sequence SET seq = (SELECT seq FROM sqlite_sequence WHERE name = "
                                    f"{seq}) WHERE name = {mine} AND EXISTS (SELECT 1 FROM sqlite_sequence WHERE "
                                    f"name = {seq})", "AUTOINCREMENT keeps its high-water mark"))
    migration.steps.append(Step(f"DROP TABLE {quote_ident(aside)}", "the old table, once every row is copied"))
    migration.steps.extend(Step(i.sql) for i in live.indexes if i.sql)
    migration.steps.extend(Step(trigger) for trigger in live.triggers)
    return migration


def _judge_copy(conn: sqlite3.Connection, table: Table, live: Table, copy: Step) -> None:
    """What the rows do to the copy: values a new type converts, NULLs NOT NULL refuses, CHECK and UNIQUE."""
    name = quote_ident(live.name)
    refused, changed = [], []
    for column in table.columns:
        have = live.column(column.name)
        if have is None or column.generated:
            continue
        col = quote_ident(have.name)
        if column.not_null and not have.not_null:
            nulls = conn.execute(f"SELECT count(*) FROM {name} WHERE {col} IS NULL").fetchone()[0]
            if nulls:
                refused.append(f"{nulls:,} row(s) hold NULL in {have.name}, which NOT NULL refuses")
        if column.type and fold(column.type) != fold(have.type):
            # as text, a value the new type stores differently ('007' as 7, '1.50' as 1.5) reads differently
            converted = _count(conn, f"SELECT count(*) FROM {name} WHERE {col} IS NOT NULL AND "
                                     f"CAST(CAST({col} AS {column.type}) AS TEXT) IS NOT CAST({col} AS TEXT)")
            if converted:
                changed.append(f"{converted:,} value(s) of {have.name} read differently as {column.type}")
        if column.check:
            failing = _count(conn, f"SELECT count(*) FROM {name} WHERE NOT ({column.check})")
            if failing:
                refused.append(f"{failing:,} row(s) fail the CHECK ({column.check}) of {have.name}")
        if column.unique:
            twice = _count(conn, f"SELECT count({col}) - count(DISTINCT {col}) FROM {name}")
            if twice:
                refused.append(f"{twice:,} value(s) of {have.name} repeat, which UNIQUE refuses")
    for check in table.checks:
        failing = _count(conn, f"SELECT count(*) FROM {name} WHERE NOT ({check})")
        if failing:
            refused.append(f"{failing:,} row(s) fail the table CHECK ({check})")
    copy.refused, copy.changes = "; ".join(refused), "; ".join(changed)


def _count(conn: sqlite3.Connection, query: str) -> int:
    """A count, or 0 when SQLite cannot evaluate it (an expression naming what the old table lacks)."""
    try:
        return int(conn.execute(query).fetchone()[0] or 0)
    except sqlite3.Error:
        return 0


def script(label: str, migrations: list[TableMigration]) -> str:
    """The migration as an SQL file a person reviews (and could run in the sqlite3 shell)."""
    return render_script(label, migrations, ["PRAGMA foreign_keys = OFF;", "PRAGMA legacy_alter_table = ON;",
                                             "BEGIN IMMEDIATE;"],
                         ["PRAGMA foreign_key_check;", "COMMIT;", "PRAGMA legacy_alter_table = OFF;",
                          "PRAGMA foreign_keys = ON;"])


class MigrationFailed(Exception):
    """The migration was rolled back; the message says why."""


def apply(conn: sqlite3.Connection, desired: Database, label: str, migrations: list[TableMigration]) -> None:
    """Run the rebuilds in the open transaction (BEGIN IMMEDIATE, legacy_alter_table on, foreign keys off),
    then verify: every row copied, no new broken reference, the tables as declared, integrity; else raise."""
    before_fk = {tuple(r) for r in conn.execute("PRAGMA foreign_key_check").fetchall()}
    for m in migrations:
        for step in m.steps:
            conn.execute(step.sql)
        after = conn.execute(f"SELECT count(*) FROM {quote_ident(m.table)}").fetchone()[0]
        if after != m.rows:
            raise MigrationFailed(f"{m.table}: {after:,} rows after the copy, {m.rows:,} before")
    new_fk = {tuple(r) for r in conn.execute("PRAGMA foreign_key_check").fetchall()} - before_fk
    if new_fk:
        raise MigrationFailed(f"the migration would break {len(new_fk)} foreign key reference(s)")
    left = [m for m in plan_migration(conn, desired, label) if m.table in {x.table for x in migrations}]
    if left:
        raise MigrationFailed("still different after the rebuild: " + "; ".join(r for m in left for r in m.reasons))
    problem = conn.execute("PRAGMA integrity_check").fetchone()[0]
    if problem != "ok":
        raise MigrationFailed(f"integrity_check failed: {problem}")



def migrate_file(ctx: RunContext, desired: Database, path: Path, label: str, run: bool) -> tuple[str, list[Finding]]:
    """The script for one file, and findings: what differs (or, with `run`, what was migrated)."""
    from selfheal.engines.sqlite.heal import corrupt, sqlite_error
    from selfheal.safety.sqlitefile import header_problem, reading

    try:
        problem = header_problem(path)
        if problem:
            return "", [replace(corrupt(label, problem), check="db.migrate")]
        with reading(path, ctx.project.lock_timeout) as conn:
            migrations = plan_migration(conn, desired, label)
    except OSError as exc:
        return "", [Finding("db.migrate", label, Status.ERROR, f"cannot read the database: {exc.strerror or exc}",
                            hint="this user needs read permission on the file and its folder")]
    except (sqlite3.Error, UnicodeDecodeError) as exc:  # locked, corrupt: said as heal says it
        return "", [replace(sqlite_error(label, exc, ctx.project.lock_timeout), check="db.migrate")]
    if not migrations:
        return "", [Finding("db.migrate", label, Status.OK, "matches its declaration: nothing to migrate")]
    text = script(label, migrations)
    refused = [Finding("db.migrate", f"{label}:{m.table}", Status.ERROR, "; ".join(m.refused),
                       hint="fix those rows first (the script names them), then migrate again") for m in migrations
               if m.refused]
    if not run or refused:
        return text, refused or [Finding("db.migrate", f"{label}:{m.table}", Status.WARNING,
                                         f"differs ({'; '.join(m.reasons)}): the script rebuilds it, {m.rows:,} rows",
                                         hint="review the script, then run migrate --apply") for m in migrations]
    return text, _run(ctx, desired, path, label)


def _run(ctx: RunContext, desired: Database, path: Path, label: str) -> list[Finding]:
    from selfheal.engines.sqlite.heal import sqlite_error
    from selfheal.safety.backup import write_backup
    from selfheal.safety.lock import failure
    from selfheal.safety.sqlitefile import connect

    timeout = ctx.project.lock_timeout
    try:
        ctx.lock()
        saved = write_backup(path, ctx.project.state_dir, label, ctx.project.backups_keep, timeout)
        conn = connect(path, readonly=False, timeout=timeout)
    except Exception as exc:  # ProjectLocked, UnsafePath, OSError, sqlite3.Error: nothing was changed
        reason, hint = failure(exc, "this user must be able to write the database and .selfheal/ beside schema.json")
        return [Finding("db.migrate", label, Status.ERROR, f"not migrated, nothing was changed: {reason}", hint=hint)]
    try:
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("PRAGMA legacy_alter_table = ON")
        conn.execute("BEGIN IMMEDIATE")
        migrations = plan_migration(conn, desired, label)  # again, under the write lock
        if any(m.refused for m in migrations):
            raise MigrationFailed("; ".join(r for m in migrations for r in m.refused))
        apply(conn, desired, label, migrations)
        conn.execute("COMMIT")
    except (sqlite3.Error, MigrationFailed) as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        locked = sqlite_error(label, exc, timeout, otherwise="") if isinstance(exc, sqlite3.Error) else None
        if locked is not None and locked.message:  # locked or read-only: said as heal says it
            return [replace(locked, check="db.migrate")]
        return [Finding("db.migrate", label, Status.ERROR, f"migration rolled back, nothing was changed: {exc}",
                        hint="the database is as it was; review the script and the rows it names")]
    finally:
        conn.close()
    ctx.audit.record("db.backup", label, f"backup to {saved.relative_to(ctx.project.root).as_posix()}", "written")
    out = []
    for m in migrations:
        ctx.audit.record("db.migrate", f"{label}:{m.table}", "\n".join(s.sql for s in m.steps), "applied")
        out.append(Finding("db.migrate", f"{label}:{m.table}", Status.HEALED,
                           f"migrated ({'; '.join(m.reasons)}): {m.rows:,} rows kept"))
    return out
