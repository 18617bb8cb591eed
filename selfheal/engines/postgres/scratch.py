"""Declared objects read by the server itself: each declared statement is run in a scratch schema inside a
savepoint that is always rolled back, and read back with the same queries as the live namespace, so a
declared function and a live one compare as the server writes both (never as two spellings)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Optional

from selfheal.engines.postgres import ddl
from selfheal.engines.postgres.connect import first_line
from selfheal.engines.postgres.objects import by_key_or_name, enum_sql, read_objects
from selfheal.findings import Finding, Status
from selfheal.model import Database, SchemaObject, Table
from selfheal.planning.sql import quote_ident

PREFIX = "selfheal_scratch_"
CHECKS = {"extension": "db.extension", "enum": "db.type", "type": "db.type", "sequence": "db.sequence",
          "function": "db.function", "trigger": "db.trigger", "comment": "db.comment"}
# the order heal creates them in: what tables use first, triggers (which need the tables) last
BEFORE_TABLES = ("extension", "enum", "type", "sequence", "function")


@dataclass
class ServerReading:
    """A declaration as the server reads it: column types in its spelling, objects as it writes them."""

    wanted: Database
    unknown: list[tuple[str, str, str]] = field(default_factory=list)
    objects: list[SchemaObject] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)
    late: set[str] = field(default_factory=set)  # keys of functions that name a table (created after them)
    live: Optional[list[SchemaObject]] = None  # the namespace's objects, when already read for this reading


@contextmanager
def scratch_schema(conn: Any, namespace: str) -> Iterator[str]:
    """A new schema first on the search_path (the namespace after it, so its types and extensions resolve),
    inside a savepoint that is always rolled back, whatever happens in it; yields its name."""
    schema = PREFIX + secrets.token_hex(6)
    with conn.transaction(force_rollback=True):
        conn.execute(f"CREATE SCHEMA {quote_ident(schema)}")
        conn.execute(f"SET LOCAL search_path TO {quote_ident(schema)}, {quote_ident(namespace)}")
        yield schema


def needs_scratch(desired: Database) -> bool:
    """Objects or SQL files are declared: the server reads them in a scratch schema (so a check writes,
    and never commits)."""
    return bool(desired.objects or desired.sql_statements)


def creating(obj: SchemaObject) -> str:
    """The statement that creates a declared object (an extension in the first schema of search_path)."""
    if obj.kind == "extension":
        return f"CREATE EXTENSION IF NOT EXISTS {quote_ident(obj.name)}"
    return enum_sql(obj.name, obj.items) if obj.kind == "enum" else obj.sql


def read_declared(conn: Any, desired: Database, with_types: Any) -> ServerReading:
    """Run the declared objects in a scratch schema (rolled back whatever happens) and read them back."""
    import psycopg

    label = desired.path
    try:
        with scratch_schema(conn, desired.namespace) as schema:
            # function bodies are checked here (a body naming a table not made yet is tried again after the tables);
            # heal then creates them unchecked, in the order the plan needs
            late: list[SchemaObject] = []  # a function whose signature names a table's row type comes after it
            problems = _run_each(conn, [o for o in desired.objects if o.kind in BEFORE_TABLES], label, psycopg, late)
            wanted, unknown = with_types(conn, desired)
            # read before the scratch tables exist: a signature naming a live table's row type reads as in it
            read = read_objects(conn, schema, [], ("extension", "type", "sequence", "function"))
            problems += _run_files(conn, desired, psycopg)
            triggers, elsewhere = _on_declared_tables(desired)
            problems += elsewhere
            if triggers or late:
                _attempt_all(conn, [ddl.create_table(_bare(table)) for table in wanted.tables], psycopg)
                problems += _run_each(conn, late + triggers, label, psycopg)
                read += read_objects(conn, schema, [], ("function", "trigger"))  # late functions found first
            comments: list[SchemaObject] = []
            if desired.sql_statements:
                wanted, comments = _with_files(conn, wanted, schema)
    except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction) as exc:
        return ServerReading(desired, problems=[Finding(
            "db.connect", label, Status.ERROR, f"cannot check the declared functions, types and triggers: "
            f"{first_line(exc)}", hint="selfheal reads them in a scratch schema that is always rolled back: grant "
                                      "the role CREATE on the database (on a standby, declare them as "
                                      "schema.snapshot writes them: those are compared as they are)")])
    objects, unmatched = _matched(desired, read, label)
    return ServerReading(wanted, unknown, objects + comments, problems + unmatched, {o.key for o in late})


def _on_declared_tables(desired: Database) -> tuple[list[SchemaObject], list[Finding]]:
    """The declared triggers, and a problem for each on a table the entry does not declare (run in the
    scratch schema, it would be created on the live table, under its lock)."""
    from selfheal.engines.postgres.sqlfile import trigger_table
    from selfheal.model import fold

    declared = {fold(t.name) for t in desired.tables} | {name for name, _ in desired.sql_origin}
    ok, problems = [], []
    for obj in desired.objects:
        if obj.kind != "trigger":
            continue
        table = trigger_table(obj.sql)
        if fold(table) in declared:
            ok.append(obj)
        else:
            problems.append(Finding("db.trigger", f"{desired.path}:{obj.key}", Status.ERROR,
                                    f"is on table {table or '(none found)'}, which this entry does not declare",
                                    hint="declare the table in the same entry, or the trigger by hand"))
    return ok, problems


def _bare(table: Table) -> Table:
    """A declared table without its references: what a trigger needs of it is its columns."""
    return replace(table, foreign_keys=(), columns=tuple(replace(c, references=None, fk_actions="")
                                                         for c in table.columns))


def as_the_server_wrote(declared: tuple[SchemaObject, ...], live: list[SchemaObject]
                        ) -> Optional[list[SchemaObject]]:
    """The declared objects, when each is exactly the server's own text of the live one (as schema.snapshot
    writes them): then there is nothing for the server to read. None when any one is not (or is missing)."""
    found = by_key_or_name(live)
    out = []
    for obj in declared:
        if obj.kind in ("extension", "comment"):
            out.append(obj)
            continue
        have = found.get((obj.group, obj.key))
        text = enum_sql(obj.name, obj.items) if obj.kind == "enum" else obj.sql.strip()
        if have is None or have.kind != obj.kind or have.sql.strip() != text or have.items != obj.items:
            return None
        out.append(replace(have, key=obj.key))
    return out


def _run_files(conn: Any, desired: Database, psycopg: Any) -> list[Finding]:
    """The SQL files' CREATE TABLE / INDEX / VIEW and COMMENT statements, in file order."""
    out = []
    refusals = _attempt_all(conn, [statement for _, statement in desired.sql_statements], psycopg)
    for (where, _), refused in zip(desired.sql_statements, refusals, strict=True):
        if refused:
            out.append(Finding("db.table", desired.path, Status.ERROR, f"{where}: the server refuses the statement "
                               f"(nothing was changed): {refused}", hint=f"fix the statement at {where}"))
    return out


def _with_files(conn: Any, wanted: Database, schema: str) -> tuple[Database, list[SchemaObject]]:
    """The tables and views the SQL files made in the scratch schema, as declared (with their comments)."""
    from selfheal.engines.postgres import catalog, sqlfile
    from selfheal.model import fold

    origin = dict(wanted.sql_origin)
    tables, views = sqlfile.declared_tables(catalog.read(conn, schema, wanted.path, server_text=True), schema,
                                            set(origin))
    tables = [replace(t, source=origin.get(fold(t.name), "")) for t in tables]
    comments = [replace(c, key=c.name) for c in read_objects(conn, schema, [], ("comment",))
                if fold(c.name.split(".")[0]) in origin]
    return replace(wanted, tables=wanted.tables + tuple(tables), views=wanted.views + tuple(views)), comments


def _attempt_all(conn: Any, statements: list[str], psycopg: Any) -> list[str]:
    """Run the statements in order, in one round trip when the server takes them all; else one at a time,
    each under its savepoint: for each, "" when it ran, else the server's first line."""
    if not statements:
        return []
    try:
        with conn.transaction(), conn.pipeline():
            for statement in statements:
                conn.execute(statement)
        return [""] * len(statements)
    except psycopg.errors.InsufficientPrivilege:
        raise
    except psycopg.Error:
        return [_attempt(conn, statement, psycopg) for statement in statements]


def _attempt(conn: Any, statement: str, psycopg: Any) -> str:
    """Run one statement under a savepoint: "" when it ran, else the server's first line."""
    try:
        with conn.transaction(), conn.pipeline():
            conn.execute(statement)
    except psycopg.errors.InsufficientPrivilege:
        raise
    except psycopg.Error as exc:
        return first_line(exc)
    return ""


def _run_each(conn: Any, objects: list[SchemaObject], label: str, psycopg: Any,
              late: list[SchemaObject] | None = None) -> list[Finding]:
    """Run each object's statement; what the server refuses is a finding (a function, when `late` is
    given, is tried again once the tables exist)."""
    out = []
    for obj, refused in zip(objects, _attempt_all(conn, [creating(o) for o in objects], psycopg), strict=True):
        if refused and late is not None and obj.kind == "function":
            late.append(obj)
        elif refused:
            kind = "enum type" if obj.kind == "enum" else obj.kind
            where = "types" if obj.kind == "enum" else obj.kind + "s"
            hint = ("install the extension's package on the server (PostgreSQL's contrib), or remove it from "
                    "schema.json" if obj.kind == "extension" else f"fix the statement at {obj.origin}"
                    if obj.origin else f"fix {where}.{obj.key} in schema.json")
            out.append(Finding(CHECKS[obj.kind], f"{label}:{obj.key}", Status.ERROR,
                               f"the server refuses the declared {kind} (nothing was changed): {refused}", hint=hint))
    return out


def _matched(desired: Database, read: list[SchemaObject], label: str) -> tuple[list[SchemaObject], list[Finding]]:
    """Each declared object as the server wrote it, found by its key (a name, name(args), table.trigger);
    a statement that made an object of another name is a problem."""
    found = by_key_or_name(read)  # a function read twice: its first reading stands
    out, problems = [], []
    for obj in desired.objects:
        if obj.kind in ("extension", "comment"):
            out.append(obj)
            continue
        made = found.get((obj.group, obj.key))
        if made is None:
            problems.append(Finding(CHECKS[obj.kind], f"{label}:{obj.key}", Status.ERROR,
                                    f"the declared statement creates no {obj.kind} named {obj.key}",
                                    hint=f"name the {obj.kind} as its key in schema.json (a trigger as table.name "
                                         "when two tables have one of that name)"))
            continue
        out.append(replace(made, key=obj.key))
    return out, problems
