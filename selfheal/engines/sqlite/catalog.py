"""Read a live SQLite database into the model, in a fixed number of queries per file."""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from typing import Any, Optional

from selfheal.model import Column, Database, Default, ForeignKey, Index, Table, fold
from selfheal.planning.sql import code_only

_USER_TABLES = "m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"

_COLUMNS = f"""
SELECT m.name, p.name, p.type, p."notnull", p.dflt_value, p.pk, p.hidden
FROM sqlite_master AS m, pragma_table_xinfo(m.name) AS p
WHERE {_USER_TABLES} ORDER BY m.rowid, p.cid
"""
_INDEXES = f"""
SELECT m.name, il.name, il."unique", il.origin, il.partial, ii.name
FROM sqlite_master AS m, pragma_index_list(m.name) AS il, pragma_index_xinfo(il.name) AS ii
WHERE {_USER_TABLES} AND ii.key = 1 ORDER BY m.rowid, il.seq, ii.seqno
"""
# read apart: a join on sqlite_master.name has no index to use and grows quadratically
_OBJECTS = "SELECT type, name, sql FROM sqlite_master"
_FOREIGN_KEYS = f"""
SELECT m.name, f.id, f."table", f."from", f."to", f.on_update, f.on_delete
FROM sqlite_master AS m, pragma_foreign_key_list(m.name) AS f
WHERE {_USER_TABLES} ORDER BY m.rowid, f.id, f.seq
"""
_TRIGGERS = "SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger' AND sql IS NOT NULL ORDER BY rowid"
_WITHOUT_ROWID = re.compile(r"\)\s*(STRICT\s*,\s*)?WITHOUT\s+ROWID\b", re.IGNORECASE)
_STRICT = re.compile(r"\)\s*(WITHOUT\s+ROWID\s*,\s*)?STRICT\b", re.IGNORECASE)


def read(conn: sqlite3.Connection, path: str) -> Database:
    """Introspect every user table of an open database: columns, keys, indexes, triggers."""
    # a table's SQL comes once, with the objects: beside each column row it was 35 MiB at 2,500 wide tables
    columns: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in _rows(conn, _COLUMNS):
        columns[row[0]].append(row[1:])
    indexes: dict[str, dict[str, list[Any]]] = defaultdict(dict)
    objects = conn.execute(_OBJECTS).fetchall()
    table_sql = {name: sql or "" for kind, name, sql in objects if kind == "table"}
    index_sql = {name: sql for kind, name, sql in objects if kind == "index" and sql is not None}
    for table, name, unique, origin, partial, col in _rows(conn, _INDEXES):
        entry = indexes[table].setdefault(name, [unique, origin, partial, index_sql.get(name), []])
        entry[4].append(col)
    fks: dict[str, dict[int, list[tuple[str, str, Optional[str]]]]] = defaultdict(lambda: defaultdict(list))
    fk_actions: dict[tuple[str, int], str] = {}
    for table, fk_id, parent, col_from, col_to, on_update, on_delete in _rows(conn, _FOREIGN_KEYS):
        fks[table][fk_id].append((parent, col_from, col_to))
        fk_actions[(table, fk_id)] = actions_text(on_delete, on_update)
    triggers: dict[str, list[str]] = defaultdict(list)
    for table, sql in conn.execute(_TRIGGERS):
        triggers[fold(table)].append(sql)
    pks = {name: _primary_key(rows) for name, rows in columns.items()}
    types: dict[Optional[str], str] = {}  # each distinct spelling normalised once
    shared: dict[tuple[Any, ...], Column] = {}  # tables declare the same columns again and again
    tables = []
    for name, rows in columns.items():
        cols: tuple[Column, ...]
        if name in fks:
            references = _single_column_references(fks[name], pks)
            actions = {fold(parts[0][1]): fk_actions[(name, fk_id)] for fk_id, parts in fks[name].items()
                       if len(parts) == 1}
            cols = tuple(
                Column(col, _type(types, ctype), bool(notnull), Default(dflt, sql=True) if dflt is not None else None,
                       references.get(fold(col)), bool(hidden),
                       fk_actions=actions.get(fold(col), "") if fold(col) in references else "")
                for col, ctype, notnull, dflt, _pk, hidden in rows)
        else:  # no foreign keys: the common case, one shared object per distinct row (as the loader does)
            cols = tuple(shared.get(row) or shared.setdefault(row, Column(
                row[0], _type(types, row[1]), bool(row[2]), Default(row[3], sql=True) if row[3] is not None else None,
                None, bool(row[5]))) for row in rows)
        idx = tuple(
            Index(columns=tuple(cols_), unique=bool(unique), name=idx_name, origin=origin,
                  partial=bool(partial), sql=sql)
            for idx_name, (unique, origin, partial, sql, cols_) in indexes.get(name, {}).items()
        )
        sql = table_sql[name]
        tables.append(Table(name=name, columns=cols, primary_key=pks[name], indexes=idx, sql=sql,
                            triggers=tuple(triggers.get(fold(name), ())),
                            foreign_keys=_composite_keys(fks[name], pks, fk_actions, name) if name in fks else (),
                            without_rowid=_option(_WITHOUT_ROWID, sql), strict=_option(_STRICT, sql)))
    views = tuple((name, sql) for kind, name, sql in objects if kind == "view" and sql)
    live_triggers = tuple((name, sql) for kind, name, sql in objects if kind == "trigger" and sql)
    return Database(path=path, tables=tuple(tables), views=views, triggers=live_triggers,
                    object_names=frozenset(fold(name) for _, name, _ in objects))


def _type(memo: dict[Optional[str], str], ctype: Optional[str]) -> str:
    """A declared type with its spacing normalised (memoised: a schema has few distinct spellings)."""
    found = memo.get(ctype)
    if found is None:
        found = memo[ctype] = " ".join((ctype or "").split())
    return found


def actions_text(on_delete: str, on_update: str) -> str:
    """ON DELETE / ON UPDATE clauses as PRAGMA foreign_key_list reports them ("" for NO ACTION)."""
    return " ".join(f"ON {what} {action}" for what, action in (("DELETE", on_delete), ("UPDATE", on_update))
                    if action and action.upper() != "NO ACTION")


def _composite_keys(fks: dict[int, list[tuple[str, str, Optional[str]]]], pks: dict[str, tuple[str, ...]],
                    actions: dict[tuple[str, int], str], table: str) -> tuple[ForeignKey, ...]:
    """Foreign keys over several columns, in the order SQLite lists them."""
    out = []
    for fk_id, parts in sorted(fks.items()):
        if len(parts) < 2:
            continue
        parent = parts[0][0]
        to = [p[2] for p in parts]
        if any(t is None for t in to):
            to = list(next((pk for name, pk in pks.items() if fold(name) == fold(parent)), ()))
        out.append(ForeignKey(tuple(p[1] for p in parts), parent, tuple(t or "" for t in to),
                              actions[(table, fk_id)]))
    return tuple(reversed(out))  # SQLite numbers them from the last declared


def _option(option: re.Pattern[str], sql: str) -> bool:
    """A table option (WITHOUT ROWID, STRICT) in the table's code: the raw text first, since blanking
    strings out is slower and rarely needed."""
    return bool(option.search(sql)) and bool(option.search(code_only(sql)))


def _rows(conn: sqlite3.Connection, query: str) -> list[tuple[Any, ...]]:
    """Run a catalogue query; if one table breaks it (e.g. a virtual table whose module is not
    loaded), fall back to table-by-table and leave the broken one out."""
    try:
        return conn.execute(query).fetchall()
    except sqlite3.OperationalError:
        names = [r[0] for r in conn.execute(f"SELECT m.name FROM sqlite_master AS m WHERE {_USER_TABLES}")]
        out: list[tuple[Any, ...]] = []
        for name in names:
            try:
                out.extend(conn.execute(query.replace("WHERE ", "WHERE m.name = ? AND ", 1), (name,)))
            except sqlite3.OperationalError:
                continue
        return out


def _primary_key(rows: list[tuple[Any, ...]]) -> tuple[str, ...]:
    return tuple(r[0] for r in sorted((r for r in rows if r[4]), key=lambda r: r[4]))


def _single_column_references(
    fks: dict[int, list[tuple[str, str, Optional[str]]]], pks: dict[str, tuple[str, ...]]
) -> dict[str, tuple[str, str]]:
    out = {}
    for parts in fks.values():
        if len(parts) != 1:
            continue  # composite foreign keys are not expressible per column
        parent, col_from, col_to = parts[0]
        if col_to is None:
            parent_pk = next((pk for name, pk in pks.items() if fold(name) == fold(parent)), ())
            if len(parent_pk) != 1:
                continue
            col_to = parent_pk[0]
        out[fold(col_from)] = (parent, col_to)
    return out
