"""PostgreSQL DDL for the shared operations: the same plan, rendered in the server's terms."""

from __future__ import annotations

from selfheal.engines.postgres.types import INTEGER_TYPES, pg_type, split
from selfheal.model import Column, Default, Index, Literal, Table
from selfheal.planning.ops import (
    AddColumn,
    CreateIndex,
    CreateTable,
    CreateView,
    InsertRows,
    Op,
    RenameColumn,
    RenameTable,
)
from selfheal.planning.sql import (
    constraint_clauses,
    default_sql,
    quote_ident,
    quote_literal,
    quote_names,
    table_constraints,
)


def literal(value: Literal) -> str:
    """A JSON value as a PostgreSQL literal: SQLite's quoting, with booleans as TRUE/FALSE."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return quote_literal(value)


def default_clause(default: Default, type_name: str) -> str:
    """A declared default as PostgreSQL SQL (booleans into integer columns as 0 and 1)."""
    if default.sql:
        return default_sql(default)
    if isinstance(default.value, bool) and split(type_name)[0] in INTEGER_TYPES:
        return "1" if default.value else "0"
    return literal(default.value)


def column_def(column: Column, table: Table) -> str:
    """A column definition for CREATE TABLE or ADD COLUMN."""
    type_name = pg_type(column.type)
    parts = [quote_ident(column.name), type_name]
    single_pk = list(table.primary_key) == [column.name]
    if column.identity:  # "auto": implied by a portable INTEGER primary key
        parts.append(f"GENERATED {'BY DEFAULT' if column.identity == 'auto' else column.identity.upper()} AS IDENTITY")
    if single_pk:
        parts.append("PRIMARY KEY")
    if column.not_null and not single_pk:
        parts.append("NOT NULL")
    if column.default is not None:
        parts.append("DEFAULT " + default_clause(column.default, type_name))
    # a generated column is STORED here (VIRTUAL ones are refused at load for PostgreSQL)
    parts.extend(constraint_clauses(column, quote_ident(column.collate) if column.collate else ""))
    return " ".join(parts)


def create_table(table: Table) -> str:
    """CREATE TABLE with every declared column and table constraint."""
    defs = [column_def(c, table) for c in table.columns]
    if len(table.primary_key) > 1:
        defs.append(f"PRIMARY KEY ({quote_names(table.primary_key)})")
    defs.extend(table_constraints(table))
    return f"CREATE TABLE {quote_ident(table.name)} (\n  " + ",\n  ".join(defs) + "\n)"


def create_index(table: str, index: Index, name: str) -> str:
    """CREATE [UNIQUE] INDEX; expression terms as declared (an index an SQL file declares: as the server
    wrote it from that file)."""
    if index.sql:
        return index.sql
    unique = "UNIQUE " if index.unique else ""
    terms = ", ".join(index.terms) if index.terms else quote_names(c or "" for c in index.columns)
    using = f" USING {index.using}" if index.using else ""
    include = f" INCLUDE ({quote_names(index.include)})" if index.include else ""
    include += " NULLS NOT DISTINCT" if index.nulls_not_distinct else ""
    include += f" WITH ({', '.join(f'{k} = {quote_literal(v)}' for k, v in index.storage)})" if index.storage else ""
    where = f" WHERE {index.where}" if index.where else ""
    return f"CREATE {unique}INDEX {quote_ident(name)} ON {quote_ident(table)}{using} ({terms}){include}{where}"


def render(op: Op, tables: dict[str, Table]) -> list[str]:
    """The statements of one operation on PostgreSQL (`tables`: the declared tables by folded name)."""
    from selfheal.model import fold

    if isinstance(op, CreateTable):
        return [create_table(op.table)]
    if isinstance(op, RenameTable):
        return [f"ALTER TABLE {quote_ident(op.old)} RENAME TO {quote_ident(op.table)}"]
    if isinstance(op, RenameColumn):
        return [f"ALTER TABLE {quote_ident(op.table)} RENAME COLUMN {quote_ident(op.old)} TO {quote_ident(op.new)}"]
    if isinstance(op, AddColumn):
        declared = tables.get(fold(op.table)) or Table(op.table, (op.column,))
        return [f"ALTER TABLE {quote_ident(op.table)} ADD COLUMN {column_def(op.column, declared)}"]
    if isinstance(op, CreateIndex):
        return [create_index(op.table, op.index, op.name)]
    if isinstance(op, CreateView):
        select = op.select.strip().rstrip(";")
        out = [f"DROP VIEW {quote_ident(op.name)}"] if op.replaces is not None else []
        return out + [f"CREATE VIEW {quote_ident(op.name)} AS {select}",
                      f"COMMENT ON VIEW {quote_ident(op.name)} IS {literal(select)}"]
    if isinstance(op, InsertRows):
        out = []
        for row in op.rows:
            cols = ", ".join(quote_ident(c) for c, _ in row)
            values = ", ".join(literal(v) for _, v in row)
            out.append(f"INSERT INTO {quote_ident(op.table)} ({cols}) VALUES ({values}) ON CONFLICT DO NOTHING")
        return out
    raise ValueError(f"{type(op).__name__} has no PostgreSQL form")  # the planner never makes one for a server


def render_all(ops: list[Op], tables: dict[str, Table]) -> dict[int, list[str]]:
    """Every operation's statements, by id. A new table's reference to a table this plan creates later
    (a cycle: staff ↔ store) is left out of its CREATE TABLE and added, in the same transaction, after
    the last table is created: ALTER TABLE … ADD FOREIGN KEY."""
    from selfheal.model import fold

    created = {fold(op.table.name) for op in ops if isinstance(op, CreateTable)}
    made: set[str] = set()
    later: list[str] = []
    last_create = max((i for i, op in enumerate(ops) if isinstance(op, CreateTable)), default=-1)
    out: dict[int, list[str]] = {}
    for i, op in enumerate(ops):
        if isinstance(op, CreateTable):
            made.add(fold(op.table.name))
            pending = created - made  # not yet there when this table is created
            table, added = _without_references_to(op.table, pending)
            out[id(op)] = [create_table(table)]
            later.extend(added)
            if i == last_create:
                out[id(op)].extend(later)
        else:
            out[id(op)] = render(op, tables)
    return out


def _without_references_to(table: Table, pending: set[str]) -> tuple[Table, list[str]]:
    """The table without its references to `pending` tables, and the ALTERs that add them afterwards."""
    from dataclasses import replace

    from selfheal.model import fold

    name = quote_ident(table.name)
    adds, columns = [], []
    for column in table.columns:
        if column.references and fold(column.references[0]) in pending:
            parent, parent_col = column.references
            adds.append(f"ALTER TABLE {name} ADD FOREIGN KEY ({quote_ident(column.name)}) REFERENCES "
                        f"{quote_ident(parent)} ({quote_ident(parent_col)}) {column.fk_actions}".rstrip())
            column = replace(column, references=None, fk_actions="")
        columns.append(column)
    fks = []
    for fk in table.foreign_keys:
        if fold(fk.table) in pending:
            adds.append(f"ALTER TABLE {name} ADD FOREIGN KEY ({quote_names(fk.columns)}) REFERENCES "
                        f"{quote_ident(fk.table)} ({quote_names(fk.parent_columns)}) {fk.actions}".rstrip())
        else:
            fks.append(fk)
    if not adds:
        return table, []
    return replace(table, columns=tuple(columns), foreign_keys=tuple(fks)), adds
