"""Declared renames (`renamed_from`): planned first, and the live model as it will be after them, so the
rest of the plan (columns, indexes, rows) sees the renamed tables and columns."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Optional

from selfheal.findings import Finding, Status
from selfheal.model import Database, ForeignKey, Table, fold
from selfheal.planning import sql
from selfheal.planning.ops import Op, RenameColumn, RenameTable

Remap = Callable[[str, str], tuple[str, str]]  # (table, column) a reference names -> the names after a rename
_TOKEN = re.compile(r"\"(?:[^\"]|\"\")*\"|`[^`]*`|\[[^\]]*\]|'(?:[^']|'')*'|--[^\n]*|/\*.*?(?:\*/|\Z)"
                    r"|[A-Za-z_][A-Za-z0-9_$]*", re.DOTALL)


def declares_renames(desired: Database) -> bool:
    """True when any table or column of the declaration says what it was called before."""
    return any(t.renamed_from or any(c.renamed_from for c in t.columns) for t in desired.tables)


def plan_renames(desired: Database, actual: Database, label: str) -> tuple[Database, list[Op], list[Finding]]:
    """The rename operations, the findings of renames that cannot be made, and the live database as the
    rest of the plan must see it (as it will be once the renames ran)."""
    ops: list[Op] = []
    findings: list[Finding] = []
    for table in desired.tables:
        if table.renamed_from:
            old, new = actual.table(table.renamed_from), actual.table(table.name)
            if old is not None and new is None:
                ops.append(RenameTable(old.name, table.name))
                actual = _rename_table(actual, old.name, table.name)
            elif old is not None and new is not None:
                findings.append(_both(f"{label}:{table.name}", "table", old.name, new.name))
        live = actual.table(table.name)
        for column in table.columns if live is not None else ():
            if not column.renamed_from or live is None:
                continue
            old_col, new_col = live.column(column.renamed_from), live.column(column.name)
            if old_col is not None and new_col is None:
                ops.append(RenameColumn(live.name, old_col.name, column.name))
                actual = _rename_column(actual, live.name, old_col.name, column.name)
                live = actual.table(table.name)
            elif old_col is not None and new_col is not None:
                findings.append(_both(f"{label}:{live.name}.{column.name}", "column", old_col.name, new_col.name))
    return actual, ops, findings


def _both(target: str, kind: str, old: str, new: str) -> Finding:
    check = "db.table" if kind == "table" else "db.column"
    return Finding(check, target, Status.ERROR, f"cannot be renamed from {old}: both {old} and {new} exist, and "
                   "renaming one over the other would lose its data; nothing was renamed",
                   hint=f"move what {old} holds into {new} by hand and drop {old}, then remove renamed_from")


def rename_in_sql(text: str, old: str, new: str) -> str:
    """A CREATE statement with every identifier naming `old` (quoted or bare, never inside a string or a
    comment) naming `new`."""
    def swap(match: re.Match[str]) -> str:
        token = match.group(0)
        if token[0] in "'-/":
            return token
        name = token[1:-1].replace('""', '"') if token[0] in '"`[' else token
        return sql.quote_ident(new) if fold(name) == fold(old) else token

    return _TOKEN.sub(swap, text)


def _rename_table(db: Database, old: str, new: str) -> Database:
    def moved(table: Table) -> Table:
        if fold(table.name) == fold(old):
            start = sql.definition_start(table.sql) if table.sql else 0
            text = f"CREATE TABLE {sql.quote_ident(new)} {table.sql[start:]}" if table.sql else ""
            table = replace(table, name=new, sql=text)
        return _with_references(table, lambda t, c: (new if fold(t) == fold(old) else t, c))

    names = (db.object_names - {fold(old)}) | {fold(new)}
    return replace(db, tables=tuple(moved(t) for t in db.tables), object_names=names)


def _rename_column(db: Database, table_name: str, old: str, new: str) -> Database:
    def renamed(name: Optional[str]) -> Optional[str]:
        return new if name is not None and fold(name) == fold(old) else name

    def moved(table: Table) -> Table:
        if fold(table.name) == fold(table_name):
            table = replace(
                table, sql=rename_in_sql(table.sql, old, new) if table.sql else "",
                columns=tuple(replace(c, name=new) if fold(c.name) == fold(old) else c for c in table.columns),
                primary_key=tuple(renamed(c) or "" for c in table.primary_key),
                indexes=tuple(replace(i, columns=tuple(renamed(c) for c in i.columns),
                                      sql=rename_in_sql(i.sql, old, new) if i.sql else i.sql)
                              for i in table.indexes),
                foreign_keys=tuple(replace(fk, columns=tuple(renamed(c) or "" for c in fk.columns))
                                   for fk in table.foreign_keys))
        return _with_references(table, lambda t, c: (t, (renamed(c) or c) if fold(t) == fold(table_name) else c))

    return replace(db, tables=tuple(moved(t) for t in db.tables))


def _with_references(table: Table, remap: Remap) -> Table:
    """The table with every foreign key pointing at a renamed table or column pointing at the new name."""
    columns = tuple(replace(c, references=remap(*c.references)) if c.references else c for c in table.columns)
    fks = tuple(_remap_fk(fk, remap) for fk in table.foreign_keys)
    return replace(table, columns=columns, foreign_keys=fks)


def _remap_fk(fk: ForeignKey, remap: Remap) -> ForeignKey:
    parents = [remap(fk.table, c) for c in fk.parent_columns]
    return replace(fk, table=parents[0][0] if parents else remap(fk.table, "")[0],
                   parent_columns=tuple(c for _, c in parents))

