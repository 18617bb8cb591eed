"""migrate on PostgreSQL: the ALTERs a person reviews for drift heal will not apply (a type, NOT NULL, a
default, a foreign key's target or actions, UNIQUE sets), each with the rows it touches counted, those
that change values marked and those the rows refuse named; `--apply` runs them in one transaction under
the advisory lock and verifies row counts and the declaration before COMMIT."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from selfheal.engines.postgres import catalog
from selfheal.engines.postgres.checks import declares_checks, with_server_checks
from selfheal.engines.postgres.connect import PgProblem, connect, connection_url, first_line
from selfheal.engines.postgres.ddl import default_clause
from selfheal.engines.postgres.heal import lock_key, with_server_types
from selfheal.findings import Finding, Status
from selfheal.model import Column, Database, Table, fold
from selfheal.planning.differences import compare
from selfheal.planning.migration import Step, TableMigration, render_script
from selfheal.planning.sql import quote_ident, quote_names

if TYPE_CHECKING:
    from selfheal.context import RunContext

SCRIPTED = {"type", "NOT NULL", "default", "references", "foreign key actions", "UNIQUE", "CHECK"}
_CONSTRAINTS = """
SELECT con.conname, con.contype, ARRAY(SELECT a.attname FROM unnest(con.conkey) k JOIN pg_attribute a
       ON a.attrelid = con.conrelid AND a.attnum = k)
FROM pg_constraint con WHERE con.conrelid = to_regclass(%s) AND con.contype IN ('u', 'f')
"""
_CHECKS = """
SELECT con.conname, pg_get_constraintdef(con.oid) FROM pg_constraint con
WHERE con.conrelid = to_regclass(%s) AND con.contype = 'c' ORDER BY con.conname
"""


def plan_migration(conn: Any, desired: Database) -> list[TableMigration]:
    """The ALTERs of every declared table whose existing columns or constraints differ."""
    wanted, _ = with_server_types(conn, desired)
    live_db = catalog.read(conn, desired.namespace, desired.path)
    if declares_checks(wanted):  # compared (and scripted) as the server writes them
        wanted = with_server_checks(conn, wanted, live_db)
    aspects: dict[str, dict[str, set[str]]] = {}  # table -> column ("" for the table) -> aspects
    for diff in compare(wanted, live_db, desired.path, by_text=False):
        if diff.aspect in SCRIPTED:
            where = diff.target.split(":", 1)[1]
            table_name, _, column_name = where.partition(".")
            aspects.setdefault(fold(table_name), {}).setdefault(column_name, set()).add(diff.aspect)
    out = []
    for table in wanted.tables:
        live = live_db.table(table.name)
        if live is None or fold(table.name) not in aspects:
            continue
        declared = desired.table(table.name) or table
        migration = TableMigration(live.name, _count(conn, f"SELECT count(*) FROM {quote_ident(live.name)}"),
                                   [f"{live.name}.{c or '(table)'}: {', '.join(sorted(a))}"
                                    for c, a in aspects[fold(table.name)].items()])
        for column_name, found in aspects[fold(table.name)].items():
            column, have = table.column(column_name), live.column(column_name)
            if column is not None and have is not None:
                migration.steps.extend(_column_steps(conn, live, column, have, declared.column(column_name), found))
        if "UNIQUE" in aspects[fold(table.name)].get("", set()):
            migration.steps.extend(_unique_steps(conn, table, live))
        if "CHECK" in aspects[fold(table.name)].get("", set()):
            migration.steps.extend(_check_steps(conn, table, live))
        out.append(migration)
    return out


def _column_steps(conn: Any, live: Table, column: Column, have: Column, declared: Column | None,
                  found: set[str]) -> list[Step]:
    t, c = quote_ident(live.name), quote_ident(have.name)
    alter = f"ALTER TABLE {t} ALTER COLUMN {c}"
    steps = []
    if "type" in found:
        step = Step(f"{alter} TYPE {column.type} USING {c}::{column.type}", f"{have.name}: {have.type} → {column.type}")
        try:
            changed = _count(conn, f"SELECT count(*) FROM {t} WHERE {c} IS NOT NULL AND "
                                   f"({c}::{column.type})::text IS DISTINCT FROM {c}::text", probe=True)
            step.changes = f"{changed:,} value(s) of {have.name} read differently as {column.type}" if changed else ""
        except PgProblem as exc:
            step.refused = f"the server cannot convert every value of {have.name}: {exc}"
        steps.append(step)
    if "NOT NULL" in found:
        if column.not_null:
            nulls = _count(conn, f"SELECT count(*) FROM {t} WHERE {c} IS NULL")
            steps.append(Step(f"{alter} SET NOT NULL", f"{have.name}: NOT NULL",
                              refused=f"{nulls:,} row(s) hold NULL in {have.name}" if nulls else ""))
        else:
            steps.append(Step(f"{alter} DROP NOT NULL", f"{have.name}: nullable"))
    if "default" in found:
        source = declared if declared is not None else column
        steps.append(Step(f"{alter} SET DEFAULT {default_clause(source.default, column.type)}" if source.default
                          else f"{alter} DROP DEFAULT", f"{have.name}: default"))
    if found & {"references", "foreign key actions"} and column.references:
        steps.extend(_reference_steps(conn, live, column, have))
    return steps


def _reference_steps(conn: Any, live: Table, column: Column, have: Column) -> list[Step]:
    t, c = quote_ident(live.name), quote_ident(have.name)
    parent, parent_col = column.references  # type: ignore[misc]
    steps = [Step(f"ALTER TABLE {t} DROP CONSTRAINT {quote_ident(name)}", f"the old reference of {have.name}")
             for name, kind, cols in conn.execute(_CONSTRAINTS, (quote_ident(live.name),)).fetchall()
             if kind == "f" and [fold(x) for x in cols] == [fold(have.name)]]
    orphans = _count(conn, f"SELECT count(*) FROM {t} WHERE {c} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
                           f"{quote_ident(parent)} p WHERE p.{quote_ident(parent_col)} = {t}.{c})")
    add = (f"ALTER TABLE {t} ADD FOREIGN KEY ({c}) REFERENCES {quote_ident(parent)} ({quote_ident(parent_col)}) "
           f"{column.fk_actions}").rstrip()
    steps.append(Step(add, f"{have.name} → {parent}.{parent_col}",
                      refused=f"{orphans:,} row(s) name no {parent}.{parent_col}" if orphans else ""))
    return steps


def _unique_steps(conn: Any, table: Table, live: Table) -> list[Step]:
    want = {tuple(fold(c) for c in u) for u in table.unique} | {(fold(c.name),) for c in table.columns if c.unique}
    steps = []
    have = {tuple(fold(c) for c in cols): name for name, kind, cols in
            conn.execute(_CONSTRAINTS, (quote_ident(live.name),)).fetchall() if kind == "u"}
    for cols in sorted(want - set(have)):
        names = [next(c.name for c in live.columns if fold(c.name) == col) for col in cols]
        repeats = _count(conn, f"SELECT count(*) - count(DISTINCT ({quote_names(names)})) FROM "
                               f"{quote_ident(live.name)} WHERE " + " AND ".join(f"{quote_ident(n)} IS NOT NULL"
                                                                                 for n in names))
        steps.append(Step(f"ALTER TABLE {quote_ident(live.name)} ADD UNIQUE ({quote_names(names)})",
                          f"UNIQUE ({', '.join(names)})", refused=f"{repeats:,} repeated value(s)" if repeats else ""))
    for cols, name in sorted(have.items()):
        if cols not in want:
            steps.append(Step(f"ALTER TABLE {quote_ident(live.name)} DROP CONSTRAINT {quote_ident(name)}",
                              f"UNIQUE ({', '.join(cols)}) is not declared"))
    return steps


def _check_steps(conn: Any, table: Table, live: Table) -> list[Step]:
    """CHECKs the table has and the declaration does not dropped; declared ones added, each with the rows
    that fail it counted (refused while any does)."""
    t = quote_ident(live.name)
    want = set(table.server_checks or ())
    have = {catalog.check_expression(text): name
            for name, text in conn.execute(_CHECKS, (quote_ident(live.name),)).fetchall()}
    steps = [Step(f"ALTER TABLE {t} DROP CONSTRAINT {quote_ident(name)}", f"CHECK {expr} is not declared")
             for expr, name in sorted(have.items()) if expr not in want]
    for expr in sorted(want - set(have)):
        failing = _count(conn, f"SELECT count(*) FROM {t} WHERE NOT ({expr})", probe=True)
        steps.append(Step(f"ALTER TABLE {t} ADD CHECK ({expr})", f"CHECK {expr}",
                          refused=f"{failing:,} row(s) fail CHECK {expr}" if failing else ""))
    return steps


def _count(conn: Any, query: str, probe: bool = False) -> int:
    """A count; with `probe`, a query the server may refuse runs in a savepoint (its refusal raised)."""
    import psycopg

    if not probe:
        return int(conn.execute(query).fetchone()[0] or 0)
    try:
        with conn.transaction():
            return int(conn.execute(query).fetchone()[0] or 0)
    except psycopg.Error as exc:
        raise PgProblem(first_line(exc), "") from None


def migrate_database(ctx: RunContext, desired: Database, run: bool) -> tuple[str, list[Finding]]:
    """The script of one PostgreSQL database and its findings; with `run`, applied in one transaction."""
    url = connection_url(ctx.project, desired.url_env)
    try:
        import psycopg
    except ImportError:
        return "", [Finding("db.connect", desired.path, Status.ERROR, "the PostgreSQL driver (psycopg 3) is not "
                            "installed", hint="pip install 'psycopg[binary]>=3.3,<4'")]
    if not url:
        return "", [Finding("db.connect", desired.path, Status.ERROR, f"{desired.url_env} is not set")]
    try:
        conn = connect(url, desired.url_env, ctx.project.lock_timeout, psycopg)
    except PgProblem as exc:
        return "", [Finding(exc.check, desired.path, Status.ERROR, str(exc), hint=exc.hint)]
    try:
        return _in_transaction(ctx, conn, desired, run, psycopg)
    except (psycopg.Error, PgProblem) as exc:
        message = str(exc) if isinstance(exc, PgProblem) else first_line(exc, url)
        return "", [Finding("db.migrate", desired.path, Status.ERROR,
                            f"migration rolled back, nothing was changed: {message}")]
    finally:
        conn.close()


def _in_transaction(ctx: RunContext, conn: Any, desired: Database, run: bool, psycopg: Any
                    ) -> tuple[str, list[Finding]]:
    label = desired.path
    # a declared CHECK is read back by the server in a scratch schema: a review run then writes, never commits
    conn.read_only = not run and not declares_checks(desired)
    with conn.transaction(force_rollback=not run):
        conn.execute(f"SET LOCAL lock_timeout = {int(ctx.project.lock_timeout * 1000)}")
        conn.execute("SET LOCAL standard_conforming_strings = on")
        conn.execute(f"SET LOCAL search_path TO {quote_ident(desired.namespace)}")
        if run:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(desired.namespace),))
        migrations = plan_migration(conn, desired)
        if not migrations:
            return "", [Finding("db.migrate", label, Status.OK, "matches its declaration: nothing to migrate")]
        opening = ["BEGIN;", f"SET LOCAL search_path TO {quote_ident(desired.namespace)};"]
        text = render_script(label, migrations, opening, ["COMMIT;"])
        refused = [Finding("db.migrate", f"{label}:{m.table}", Status.ERROR, "; ".join(m.refused),
                           hint="fix those rows first (the script names them), then migrate again")
                   for m in migrations if m.refused]
        if not run or refused:
            return text, refused or [Finding("db.migrate", f"{label}:{m.table}", Status.WARNING,
                                             f"differs ({'; '.join(m.reasons)}): the script alters it, "
                                             f"{m.rows:,} rows", hint="review the script, then migrate --apply")
                                     for m in migrations]
        for m in migrations:
            for step in m.steps:
                with conn.pipeline():
                    conn.execute(step.sql)
            if _count(conn, f"SELECT count(*) FROM {quote_ident(m.table)}") != m.rows:
                raise PgProblem(f"{m.table}: the row count changed", "")
        if plan_migration(conn, desired):
            raise PgProblem("still different after the ALTERs", "")
    for m in migrations:
        ctx.audit.record("db.migrate", f"{label}:{m.table}", "\n".join(s.sql for s in m.steps), "applied")
    return text, [Finding("db.migrate", f"{label}:{m.table}", Status.HEALED,
                          f"migrated ({'; '.join(m.reasons)}): {m.rows:,} rows kept") for m in migrations]
