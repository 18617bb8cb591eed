"""Declared CHECK constraints as the server writes them, so a PostgreSQL table's CHECKs compare by meaning:
`price >= 0` and the server's `(price >= 0)` are one constraint. A declaration already in the server's
text (as schema.snapshot writes it) is taken as it is; otherwise the server reads the declared tables in a
scratch schema, inside a savepoint that is always rolled back."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from selfheal.engines.postgres import catalog, ddl
from selfheal.engines.postgres.scratch import scratch_schema
from selfheal.model import Database, Table, fold


def declared_checks(table: Table) -> list[str]:
    """Every CHECK a table declares: its columns' and its own."""
    return [c.check for c in table.columns if c.check] + list(table.checks)


def declares_checks(desired: Database) -> bool:
    """Some table declares a CHECK (its comparison may need the scratch schema, so a check writes)."""
    return any(declared_checks(t) for t in desired.tables)


def with_server_checks(conn: Any, wanted: Database, actual: Database) -> Database:
    """The declaration with `server_checks` set on each table that declares a CHECK and exists live (the
    server's text of them), asking the server only for those not already written as it writes them. A
    table that declares none is not compared (as before PostgreSQL's CHECKs were)."""
    ask: list[Table] = []
    known: dict[str, tuple[str, ...]] = {}
    for table in wanted.tables:
        live = actual.table(table.name)
        if live is None or not declared_checks(table):
            continue
        declared = sorted(check.strip() for check in declared_checks(table))
        if declared == sorted(live.checks):
            known[fold(table.name)] = tuple(declared)
        else:
            ask.append(table)
    if ask:
        import psycopg

        try:
            known.update(_read_back(conn, ask, wanted.namespace))
        except psycopg.OperationalError:  # a lock, a timeout, the connection: said as such by the caller
            raise
        except psycopg.Error:
            pass  # a standby, a role without CREATE, a CHECK the server cannot read alone: not compared
    return replace(wanted, tables=tuple(replace(t, server_checks=known[fold(t.name)]) if fold(t.name) in known
                                        else t for t in wanted.tables))


def _read_back(conn: Any, tables: list[Table], namespace: str) -> dict[str, tuple[str, ...]]:
    """The tables created bare (columns and CHECKs only) in a scratch schema, their CHECKs read back."""
    with scratch_schema(conn, namespace) as schema:
        with conn.pipeline():
            for table in tables:
                bare = Table(table.name, tuple(  # what a CHECK can name: the columns and their types
                    replace(c, references=None, fk_actions="", unique=False, default=None, identity="",
                            generated="", stored=False) for c in table.columns), checks=table.checks)
                conn.execute(ddl.create_table(bare))
        return {fold(t.name): tuple(sorted(t.checks)) for t in catalog.read(conn, schema, "").tables}
