"""Check and heal one PostgreSQL database: one transaction, an advisory lock, bounded waits, verified.

PostgreSQL's DDL is transactional, so the whole plan runs in one transaction and either commits
whole or not at all (a killed run is rolled back by the server). `pg_advisory_xact_lock` serialises
concurrent runs from any number of hosts: the second one re-reads the catalogue after the first
committed and finds nothing to do. A check run (`--check`, `--dry-run`) is a READ ONLY transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from selfheal.context import RunContext
from selfheal.engines.postgres import catalog, ddl
from selfheal.engines.postgres.checks import declares_checks, with_server_checks
from selfheal.engines.postgres.connect import (
    PgProblem,
    answer_limit,
    connect,
    connection_url,
    deadline,
    first_line,
    stalled,
)
from selfheal.engines.postgres.objectplan import ObjectPlan, object_differences, plan_objects, table_names
from selfheal.engines.postgres.objects import read_objects
from selfheal.engines.postgres.scratch import ServerReading, as_the_server_wrote, needs_scratch, read_declared
from selfheal.engines.postgres.types import pg_type, split
from selfheal.findings import Finding, Status, command
from selfheal.model import Database, Project, fold
from selfheal.planning.differences import Difference
from selfheal.planning.facts import refused_values, row_facts
from selfheal.planning.ops import Op, op_targets
from selfheal.planning.outcome import report_plan
from selfheal.planning.plan import Capabilities, Facts, Plan, facts_needed, plan
from selfheal.planning.sql import quote_ident

BATCH = 200  # statements sent in one round trip
CAPABILITIES = Capabilities(alter_adds_any_column=True, live_sql=False, bulk_add_columns=False)
SERIAL_SPELLINGS = {"serial": "serial", "serial4": "serial", "bigserial": "bigserial", "serial8": "bigserial",
                   "smallserial": "smallserial", "serial2": "smallserial"}
_CANONICAL = "SELECT t, format_type(to_regtype(t), NULL) FROM unnest(%s::text[]) AS t"


def lock_key(namespace: str) -> int:
    """The advisory lock of one namespace: the same for every host healing it."""
    return int.from_bytes(hashlib.sha256(f"selfheal:{namespace}".encode()).digest()[:8], "big", signed=True)


def check_database(ctx: RunContext, desired: Database) -> list[Finding]:
    """Plan (and, when healing, apply) one PostgreSQL database; every failure is a finding."""
    label = desired.path
    url = connection_url(ctx.project, desired.url_env)
    if not url:
        return [Finding("db.connect", label, Status.ERROR, f"{desired.url_env} is not set: no URL to connect to",
                        hint=f"set {desired.url_env}=postgresql://USER:PASSWORD@HOST/DB in .env or the environment")]
    try:
        import psycopg
    except ImportError:
        return [Finding("db.connect", label, Status.ERROR, "the PostgreSQL driver (psycopg 3) is not installed",
                        hint="pip install -r requirements-postgres.txt in selfheal's checkout, or "
                             "pip install 'psycopg[binary]>=3.3,<4'")]
    try:
        return _run(ctx, desired, url, psycopg)
    except PgProblem as exc:
        return [Finding(exc.check, exc.target or label, Status.ERROR, str(exc), hint=exc.hint)]


def _run(ctx: RunContext, desired: Database, url: str, psycopg: Any) -> list[Finding]:
    timeout = ctx.project.lock_timeout
    conn = connect(url, desired.url_env, timeout, psycopg)
    limit = answer_limit(timeout, ctx.healing)
    expired = None
    try:
        with deadline(conn, limit) as expired:
            return _transaction(ctx, conn, desired, psycopg, timeout)
    except (psycopg.Error, PgProblem) as exc:
        if expired is not None and expired.is_set():
            raise stalled(desired.url_env, limit) from None
        if isinstance(exc, PgProblem):
            raise
        raise _problem(exc, url, desired, psycopg, timeout) from None
    finally:
        conn.close()


def _transaction(ctx: RunContext, conn: Any, desired: Database, psycopg: Any, timeout: float) -> list[Finding]:
    """Plan (and apply) in one transaction; the audit trail is written once it has committed."""
    # declared objects are read in a scratch schema (rolled back): a check that has them writes, and never commits
    conn.read_only = not ctx.healing and not needs_scratch(desired) and not declares_checks(desired)
    with conn.transaction(force_rollback=not ctx.healing):
        ms = int(timeout * 1000)
        conn.execute(f"SET LOCAL lock_timeout = {ms}")
        conn.execute(f"SET LOCAL statement_timeout = {max(ms * 6, 60000)}")
        # literals are rendered as the SQL standard writes them: a backslash is a backslash
        conn.execute("SET LOCAL standard_conforming_strings = on")
        if ctx.healing:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(desired.namespace),))
        findings = _plan_and_apply(ctx, conn, desired, psycopg)
    for finding in findings:
        if finding.status is Status.HEALED:
            ctx.audit.record(finding.check, finding.target, finding.action, "healed")
    return findings


def _problem(exc: BaseException, url: str, desired: Database, psycopg: Any, timeout: float) -> PgProblem:
    """The server's refusal as something to act on (never showing the URL)."""
    if isinstance(exc, psycopg.errors.LockNotAvailable):
        return PgProblem(f"waited {timeout:g} s for a lock on a table {_holders(url, desired.namespace, psycopg)}",
                         "retry when the other session is done, or raise settings.lock_timeout")
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return PgProblem(f"permission denied: {first_line(exc, url)} (nothing was changed)",
                         "grant the role USAGE and CREATE on the schema (GRANT CREATE ON SCHEMA … TO …), "
                         "or run with a role that owns the tables")
    return PgProblem(f"the server refused the change, nothing was changed: {first_line(exc, url)}",
                     "fix what the server names in schema.json, then heal again")


def _plan_and_apply(ctx: RunContext, conn: Any, desired: Database, psycopg: Any) -> list[Finding]:
    label, namespace = desired.path, desired.namespace
    exists = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (namespace,)).fetchone()
    created_schema = False
    if not exists:
        if not ctx.healing:
            return [Finding("db.schema", label, Status.ERROR, f"schema {namespace} does not exist (heal would create "
                            "it)", hint=f"run {command('heal.db')} to create it")]
        conn.execute(f"CREATE SCHEMA {quote_ident(namespace)}")
        created_schema = True
    conn.execute(f"SET LOCAL search_path TO {quote_ident(namespace)}")
    reading = _server_reading(conn, desired)
    if reading.problems:
        return reading.problems
    wanted, unknown = reading.wanted, reading.unknown
    if unknown:
        return [Finding("db.column", f"{label}:{table}.{column}", Status.ERROR,
                        f"type {type_name} is not a type this server knows",
                        hint="use a portable type (INTEGER, TEXT, REAL, BLOB, BOOLEAN, DATETIME, NUMERIC(p, s)…) "
                             "or a native PostgreSQL one")
                for table, column, type_name in unknown]
    the_plan = _plan(conn, wanted, label)
    objects = _object_plan(conn, reading, label)
    if not ctx.healing or not (the_plan.ops or objects.steps):
        return objects.report(report_plan(desired, label, the_plan, healed=False, render=_shown(_renderer(
            wanted, the_plan.ops), namespace)), healed=False, namespace=namespace)
    render = _renderer(wanted, the_plan.ops)
    if objects.steps:  # as pg_dump: a function body may name a table this heal creates after it
        conn.execute("SET LOCAL check_function_bodies = off")
    _run_steps(conn, objects, True, label, psycopg)
    _apply(conn, the_plan.ops, render, label, psycopg)
    _run_steps(conn, objects, False, label, psycopg)
    left, left_objects = _plan(conn, wanted, label), _object_plan(conn, reading, label, fresh=True)
    if left.ops or left_objects.steps:  # verified in the same transaction: nothing may be left to do
        raise PgProblem("the database still differs after healing, so nothing was changed (rolled back): "
                        + ", ".join([op_targets(label, op)[0] for op in left.ops]
                                    + [step.target for step in left_objects.steps]),
                        "report this with the schema.json entry: the declaration and the server disagree")
    findings = objects.report(report_plan(desired, label, the_plan, healed=True, render=_shown(render, namespace)),
                              healed=True, namespace=namespace)
    if created_schema:
        findings.insert(0, Finding("db.schema", label, Status.HEALED, f"created schema {namespace}",
                                   action=f"CREATE SCHEMA {quote_ident(namespace)}"))
    return findings


def _apply(conn: Any, ops: list[Op], render: Callable[[Op], list[str]], label: str, psycopg: Any) -> None:
    """Run every statement, BATCH to a round trip, each as its own message of the extended protocol (a
    pipeline): the server refuses a statement that holds two. A batch the server refuses is rolled back
    to its savepoint and run again one statement at a time, to name the one refused."""
    statements = [(op, statement) for op in ops for statement in render(op)]
    for start in range(0, len(statements), BATCH):
        chunk = statements[start:start + BATCH]
        try:
            with conn.transaction(), conn.pipeline():
                for _, statement in chunk:
                    conn.execute(statement)
            continue
        except (psycopg.errors.InsufficientPrivilege, psycopg.errors.LockNotAvailable):
            raise
        except psycopg.Error:
            pass
        for op, statement in chunk:
            run_or_say(conn, statement, op.check, op_targets(label, op)[0], psycopg)


def _server_reading(conn: Any, desired: Database) -> ServerReading:
    """The declaration as the server reads it: types in its spelling; declared objects, when there are
    any, as it writes them (read in a scratch schema that is rolled back)."""
    if needs_scratch(desired):
        live = None if desired.sql_statements else read_objects(conn, desired.namespace, [])
        written = as_the_server_wrote(desired.objects, live) if live is not None else None
        if written is None:
            return read_declared(conn, desired, with_server_types)
        wanted, unknown = with_server_types(conn, desired)  # the server's own text: nothing for it to read
        return ServerReading(wanted, unknown, written, live=live)
    wanted, unknown = with_server_types(conn, desired)
    return ServerReading(wanted, unknown)


def _object_plan(conn: Any, reading: ServerReading, label: str, fresh: bool = False) -> ObjectPlan:
    """The declared objects against the namespace's (none declared: nothing read; `fresh`: read again,
    even when the reading has them)."""
    if not reading.objects:
        return ObjectPlan()
    live = reading.live if reading.live is not None and not fresh else read_objects(conn, reading.wanted.namespace,
                                                                                     [])
    return plan_objects(reading.objects, live, label, table_names([t.name for t in reading.wanted.tables]),
                        reading.late)


def _run_steps(conn: Any, objects: ObjectPlan, before_tables: bool, label: str, psycopg: Any) -> None:
    """The object steps that run before (or after) the tables, one statement at a time."""
    for step in objects.steps:
        if step.before_tables != before_tables:
            continue
        for statement in step.statements:
            run_or_say(conn, statement, step.check, step.target, psycopg)


def run_or_say(conn: Any, statement: str, check: str, target: str, psycopg: Any) -> None:
    """One statement; one the server refuses is a PgProblem naming it and its target (a missing privilege
    or a lock not granted is raised as it is, and said as such)."""
    try:
        run_one(conn, statement)
    except (psycopg.errors.InsufficientPrivilege, psycopg.errors.LockNotAvailable):
        raise
    except psycopg.Error as exc:
        raise PgProblem(f"the server refused it, nothing was changed: {first_line(exc)}",
                        f"fix it in schema.json (the SQL: {statement[:200]}), then heal again", check, target) from None


def run_one(conn: Any, statement: str) -> None:
    """One statement through the extended protocol, which never runs a second statement hidden in it."""
    with conn.pipeline():
        conn.execute(statement)


def _shown(render: Callable[[Op], list[str]], namespace: str) -> Callable[[Op], list[str]]:
    """The statements as reported: each operation's preceded by the search_path it runs under, so what
    --dry-run prints runs as shown in psql, whatever the reader's own search_path."""
    return lambda op: [f"SET search_path TO {quote_ident(namespace)}", *render(op)]


def _renderer(wanted: Database, ops: list[Op]) -> Callable[[Op], list[str]]:
    """Render each operation once (applied, audited and reported from the same statements); tables that
    reference each other (or a table created later) get those references once they all exist."""
    tables = {fold(t.name): t for t in wanted.tables}
    done = ddl.render_all(ops, tables)
    return lambda op: done[id(op)]


def _plan(conn: Any, wanted: Database, label: str) -> Plan:
    actual = catalog.read(conn, wanted.namespace, label)
    if declares_checks(wanted):  # compared as the server writes them
        wanted = with_server_checks(conn, wanted, actual)
    return plan(wanted, actual, gather_facts(conn, facts_needed(wanted, actual)), label, engine=CAPABILITIES)


def with_server_types(conn: Any, desired: Database) -> tuple[Database, list[tuple[str, str, str]]]:
    """The declaration with each column type as the server writes it (int8 and INTEGER both `bigint`),
    asked in one query; columns whose type the server does not know are returned apart."""
    spellings = {pg_type(c.type) for t in desired.tables for c in t.columns}
    bases = sorted({split(s)[0] + split(s)[2] for s in spellings})
    known = dict(conn.execute(_CANONICAL, (bases,)).fetchall()) if bases else {}
    unknown = []
    tables = []
    for table in desired.tables:
        columns = []
        for column in table.columns:
            base, args, array = split(pg_type(column.type))
            name = SERIAL_SPELLINGS.get(base.lower()) if not args and not array else None
            if name is not None:  # integer + a sequence of its own: NOT NULL by nature
                columns.append(replace(column, type=name, not_null=True))
                continue
            name = known.get(base + array)
            if name is None:
                unknown.append((table.name, column.name, column.type))
                continue
            if args:
                name = name[:-2] + args + "[]" if name.endswith("[]") else name + args
            default = column.default
            if default is not None and default.sql:  # '{}'::jsonb is read back as '{}': compare alike
                default = catalog.live_default(str(default.value))
            columns.append(replace(column, type=name, default=default))
        tables.append(replace(table, columns=tuple(columns)))
    return replace(desired, tables=tuple(tables)), unknown


def gather_facts(conn: Any, needed: Any) -> Facts:
    """The planner's questions about rows, answered by the server."""
    nonempty, clashes = row_facts(conn, needed)
    seed_rows = {}
    for table, key_cols, key, readable in needed.seeds:
        where = " AND ".join(f"{quote_ident(needed.column_now(table, c))}::text IS NOT DISTINCT FROM %s::text"
                             for c in key_cols)
        selected = ", ".join(quote_ident(needed.column_now(table, c)) for c in readable) or "1"
        row = conn.execute(f"SELECT {selected} FROM {quote_ident(needed.table_now(table))} WHERE {where}",
                           tuple(None if v is None else str(v) for v in key)).fetchone()
        if row is not None:
            seed_rows[(fold(table), key)] = {fold(c): v for c, v in zip(readable, row, strict=False)}
    import psycopg

    refused = refused_values(conn, needed, (psycopg.Error,), guard=conn.transaction)
    return Facts(nonempty=nonempty, clashes=clashes, parent_rows=frozenset(), seed_rows=seed_rows,
                 refused_values=refused)


def _holders(url: str, namespace: str, psycopg: Any) -> str:
    """Who holds locks in the namespace, as the server reports it (best effort, on a second connection)."""
    try:
        with psycopg.connect(url, connect_timeout=2) as other:
            rows = other.execute(
                "SELECT DISTINCT a.pid, coalesce(a.application_name, ''), a.state FROM pg_locks l "
                "JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace "
                "JOIN pg_stat_activity a ON a.pid = l.pid WHERE n.nspname = %s AND l.granted "
                "AND a.pid <> pg_backend_pid()", (namespace,)).fetchall()
    except psycopg.Error:
        return "(the server did not say who holds it)"
    if not rows:
        return "(its holder finished meanwhile)"
    return "held by " + ", ".join(f"pid {pid}" + (f" ({app})" if app else "") + f", {state}"
                                  for pid, app, state in rows)


def server_drift(project: Project, desired: Database) -> list[Difference]:
    """The drift rows of one PostgreSQL database (read-only; a database it cannot reach is one row)."""
    from selfheal.planning.differences import compare

    url = connection_url(project, desired.url_env)
    try:
        import psycopg
    except ImportError:
        return [Difference(desired.path, "connection", "psycopg 3 installed", "not installed")]
    if not url:
        return [Difference(desired.path, "connection", f"{desired.url_env} set", "not set")]
    limit = answer_limit(project.lock_timeout, healing=False)
    try:
        with connect(url, desired.url_env, project.lock_timeout, psycopg) as conn, deadline(conn, limit) as expired:
            # declared objects (and CHECKs not in the server's text) are read in a scratch schema, rolled back
            conn.read_only = not needs_scratch(desired) and not declares_checks(desired)
            with conn.transaction(force_rollback=True):
                conn.execute(f"SET LOCAL search_path TO {quote_ident(desired.namespace)}")
                reading = _server_reading(conn, desired)
                live = catalog.read(conn, desired.namespace, desired.path)
                if declares_checks(reading.wanted):
                    reading.wanted = with_server_checks(conn, reading.wanted, live)
                live_objects = read_objects(conn, desired.namespace, []) if reading.objects else []
    except PgProblem as exc:
        return [Difference(desired.path, "connection", "a reachable PostgreSQL database", str(exc))]
    except psycopg.Error as exc:
        said = str(stalled(desired.url_env, limit)) if expired.is_set() else first_line(exc, url)
        return [Difference(desired.path, "connection", "a reachable PostgreSQL database", said)]
    if reading.problems:
        return [Difference(p.target, "declaration", "accepted by the server", p.message) for p in reading.problems]
    return compare(reading.wanted, live, desired.path, by_text=False) + object_differences(
        reading.objects, live_objects, desired.path)
