"""Write a model as a schema.json `databases` entry (what schema.snapshot prints), and merge it into a file."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Optional, Union

from selfheal.declare.document import SchemaError, read_document
from selfheal.errors import SnapshotError
from selfheal.model import Column, Database, ForeignKey, Index, Table, fold
from selfheal.planning.constraints import depth_zero, text_shape
from selfheal.planning.sql import (
    code_only,
    column_definitions,
    is_table_constraint,
    leading_name,
    quote_ident,
    table_items,
    view_select,
)
from selfheal.safety.safefile import shared_mode, write_private

_INTEGER = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")


def literal_default(text: str) -> Union[str, int, float, bool, None, dict[str, str]]:
    """A live DEFAULT as schema.json writes it: a JSON literal when it is one, else {"sql": text}."""
    stripped = text.strip()
    upper = stripped.upper()
    if upper == "NULL":
        return None  # written as null: DEFAULT NULL, which SQLite reports apart from no default
    if _INTEGER.fullmatch(stripped):
        return int(stripped)
    if _FLOAT.fullmatch(stripped):
        return float(stripped)
    if len(stripped) >= 2 and stripped[0] == stripped[-1] == "'" and "'" not in stripped[1:-1].replace("''", ""):
        return stripped[1:-1].replace("''", "'")
    return {"sql": stripped}


def dependency_order(tables: tuple[Table, ...]) -> list[Table]:
    """Tables with the ones they reference first (original order otherwise; cycles keep it)."""
    by_name = {fold(t.name): t for t in tables}
    done: dict[str, Table] = {}
    visiting: set[str] = set()

    def visit(table: Table) -> None:
        key = fold(table.name)
        if key in done or key in visiting:
            return
        visiting.add(key)
        for column in table.columns:
            parent = by_name.get(fold(column.references[0])) if column.references else None
            if parent is not None:
                visit(parent)
        visiting.discard(key)
        done[key] = table

    for table in tables:
        visit(table)
    return list(done.values())


_ACTION = re.compile(r"\bON\s+(DELETE|UPDATE)\s+(SET\s+NULL|SET\s+DEFAULT|CASCADE|RESTRICT|NO\s+ACTION)\b",
                     re.IGNORECASE)
_DEFERRED = re.compile(r"(?<!NOT )\bDEFERRABLE\s+INITIALLY\s+DEFERRED\b", re.IGNORECASE)
_ORDER = re.compile(r"\b(ASC|DESC)\s*$", re.IGNORECASE)
_USING = re.compile(r"\bUSING\s+(\w+)\s*\($", re.IGNORECASE)
_INCLUDE = re.compile(r"\bINCLUDE\s*\(", re.IGNORECASE)
_WITH = re.compile(r"\)\s*WITH\s*\(", re.IGNORECASE)
_OPCLASS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?")
_COLLATE = re.compile(r"\bCOLLATE\s+(\S+)\s*$", re.IGNORECASE)


def _actions(text: str) -> dict[str, Any]:
    """on_delete / on_update / deferrable keys of a foreign key clause."""
    out: dict[str, Any] = {f"on_{what.lower()}": " ".join(action.upper().split())
                           for what, action in _ACTION.findall(text)}
    out = {k: v for k, v in out.items() if v != "NO ACTION"}
    code = code_only(text)
    if _DEFERRED.search(code):
        out["deferrable"] = True
    elif re.search(r"(?<!NOT )\bDEFERRABLE\b", code, re.IGNORECASE):
        out["deferrable"] = "initially immediate"
    if re.search(r"\bMATCH\s+FULL\b", code, re.IGNORECASE):
        out["match"] = "FULL"
    return out


def _column_spec(column: Column, single_pk: bool, unique: bool, text: dict[str, str],
                 definition: str) -> Union[str, dict[str, Any]]:
    spec: dict[str, Any] = {"type": column.type or "BLOB"}
    if single_pk:
        spec["primary_key"] = True
        if "autoincrement" in text:
            spec["autoincrement"] = True
    if column.identity:
        spec["identity"] = column.identity
    if column.not_null:  # a primary key too: SQLite lets a non-INTEGER key hold NULLs unless it says NOT NULL
        spec["not_null"] = True
    if column.default is not None:
        spec["default"] = literal_default(str(column.default.value))
    if unique:
        spec["unique"] = True
    if "check" in text:
        spec["check"] = text["check"]
    if "collate" in text:
        spec["collate"] = text["collate"]
    elif column.collate:  # the catalogue's own (PostgreSQL keeps no CREATE TABLE text)
        spec["collate"] = column.collate
    if column.references:
        actions = _actions(column.fk_actions + " " + definition[max(definition.upper().find("REFERENCES"), 0):])
        target = f"{column.references[0]}.{column.references[1]}"
        spec["references"] = {"table": column.references[0], "column": column.references[1], **actions} \
            if actions else target
    if "generated" in text:
        expr, _, kind = text["generated"].rpartition(" ")
        spec["generated"] = {"sql": expr, **({"stored": True} if kind == "stored" else {})}
    elif column.generated:  # the catalogue's own expression (PostgreSQL keeps no CREATE TABLE text)
        spec["generated"] = {"sql": column.generated, **({"stored": True} if column.stored else {})}
    return spec["type"] if len(spec) == 1 else spec


def _raw(expr: str) -> str:
    """An expression as the database holds it, trimmed only (inner white space may be in a string literal)."""
    return expr.strip()


def index_entry(index: Index, columns: Table) -> Optional[dict[str, Any]]:
    """One index in schema.json form, from its own SQL when it has expressions, collations or DESC."""
    spec: dict[str, Any] = {"columns": list(index.columns)}
    if index.sql:
        code = code_only(index.sql)
        open_pos = code.find("(")
        items = table_items(index.sql)
        terms: list[Any] = []
        for item in items:
            entry: dict[str, Any] = {}
            match = _ORDER.search(code_only(item))
            if match:
                if match.group(1).upper() == "DESC":
                    entry["desc"] = True
                item = item[:match.start(1)]
            match = _COLLATE.search(code_only(item))
            if match:
                entry["collate"] = item[match.start(1):match.end(1)].strip('"`[]')
                item = item[:match.start()]
            item = item.strip()
            name = leading_name(item) if item else ""
            opclass = _OPCLASS.fullmatch(item[len(name):].strip() if name and item.startswith(name) else "")
            if opclass and columns.column(name.strip('"')) is not None:  # PostgreSQL: "col gin_trgm_ops"
                entry = {"column": columns.column(name.strip('"')).name,  # type: ignore[union-attr]
                         "opclass": opclass.group(0), **entry}
            elif name and columns.column(name) is not None and len(item) <= len(name) + 2 and (
                    item in (name, quote_ident(name)) or item.strip('"`[]') == name):
                entry = {"column": columns.column(name).name, **entry}  # type: ignore[union-attr]
            else:
                entry = {"sql": _raw(item), **entry}
            terms.append(entry["column"] if set(entry) == {"column"} else entry)
        spec["columns"] = terms
        depth0 = depth_zero(code)
        match = re.compile(r"\bWHERE\b", re.IGNORECASE).search(depth0, open_pos)
        if match:
            spec["where"] = _raw(index.sql[match.end():].rstrip().rstrip(";"))
        method = _USING.search(code[:open_pos + 1])
        if method and method.group(1).lower() != "btree":
            spec["using"] = method.group(1).lower()
        include = _INCLUDE.search(depth0, open_pos)
        if include:
            inner = index.sql[include.end():index.sql.index(")", include.end())]
            spec["include"] = [n.strip().strip('"') for n in inner.split(",")]
        tail = depth0[:match.start()] if match else depth0
        if re.search(r"\)\s*(INCLUDE\s*\(\s*\)\s*)?NULLS NOT DISTINCT\b", tail):
            spec["nulls_not_distinct"] = True
        storage = _WITH.search(tail, open_pos)
        if storage:
            inner = index.sql[storage.end():index.sql.index(")", storage.end())]
            spec["with"] = {k.strip(): v.strip().strip("'") for k, _, v in (p.partition("=") for p in inner.split(","))}
    if index.unique:
        spec["unique"] = True
    if index.origin == "c" and index.name:
        spec["name"] = index.name
    return spec


def table_entry(table: Table, notes: list[str]) -> dict[str, Any]:
    """One table in schema.json form; what the format cannot say goes to notes."""
    single = table.primary_key[0] if len(table.primary_key) == 1 else None
    shape = text_shape(table.sql, _raw)
    definitions = column_definitions(table.sql)
    unique_sets = [tuple(c or "" for c in i.columns) for i in table.indexes if i.origin == "u"]
    unique_specs = {u: _unique_spec(table, u) for u in unique_sets}
    single_unique = {fold(u[0]) for u in unique_sets if len(u) == 1 and isinstance(unique_specs[u], list)}
    columns = {}
    for column in table.columns:
        columns[column.name] = _column_spec(column, column.name == single, fold(column.name) in single_unique,
                                            shape.columns.get(fold(column.name), {}),
                                            definitions.get(fold(column.name), ""))
        if not column.type:
            notes.append(f"{table.name}.{column.name}: no declared type, written as BLOB (same affinity)")
    entry: dict[str, Any] = {"columns": columns}
    if len(table.primary_key) > 1:
        entry["primary_key"] = list(table.primary_key)
    multi = [unique_specs[u] for u in unique_sets if len(u) > 1 or not isinstance(unique_specs[u], list)]
    if multi:
        entry["unique"] = multi
    if table.foreign_keys:
        entry["foreign_keys"] = [
            {"columns": list(fk.columns), "references": {"table": fk.table, "columns": list(fk.parent_columns)},
             **_actions(fk.actions + " " + _fk_clause(table.sql, fk))} for fk in table.foreign_keys]
    checks = shape.checks or list(table.checks)  # from the SQL text (SQLite), or as the server reports them
    if checks:
        entry["checks"] = checks
    if table.strict:
        entry["strict"] = True
    if table.without_rowid:
        entry["without_rowid"] = True
    indexes = [index_entry(index, table) for index in table.indexes if index.origin == "c"]
    if indexes:
        entry["indexes"] = indexes
    return entry


def _unique_spec(table: Table, columns: tuple[str, ...]) -> Union[list[str], dict[str, Any]]:
    """A UNIQUE set as a list of columns, or an object when its NULLs clash (PostgreSQL 15) or its name is
    not the server's default (table_columns_key)."""
    key = tuple(fold(c) for c in columns)
    spec: dict[str, Any] = {"columns": list(columns)}
    if key in {tuple(fold(c) for c in cols) for cols in table.nulls_not_distinct}:
        spec["nulls_not_distinct"] = True
    name = next((n for cols, n in table.unique_names if tuple(fold(c) for c in cols) == key), "")
    if name and name != f"{table.name}_{'_'.join(columns)}_key":
        spec["name"] = name
    return spec if len(spec) > 1 else list(columns)


def _fk_clause(create_sql: str, fk: ForeignKey) -> str:
    """The text of the FOREIGN KEY table constraint over these columns (for DEFERRABLE)."""
    want = [fold(c) for c in fk.columns]
    for item in table_items(create_sql):
        code = code_only(item)
        if is_table_constraint(item) and re.search(r"\bFOREIGN\s+KEY\b", code, re.IGNORECASE):
            inner = item[item.index("(") + 1:code.index(")")]
            if [fold(n.strip().strip('"`[]')) for n in inner.split(",")] == want:
                return item.split(")", 1)[-1] if "DEFERRABLE" in code.upper() else ""
    return ""


def database_entry(live: Database, notes: list[str]) -> dict[str, Any]:
    """The `tables` (in dependency order), `views` and `triggers` of a live database; notes on what is left out."""
    entry: dict[str, Any] = {"tables": {t.name: table_entry(t, notes) for t in dependency_order(live.tables)}}
    if live.views:  # in creation order, so a view over another view comes after it
        entry["views"] = {name: view_select(text) for name, text in live.views}
    if live.triggers:
        entry["triggers"] = dict(live.triggers)
    entry.update(objects_entry(live))
    return entry


def objects_entry(live: Database) -> dict[str, Any]:
    """A PostgreSQL database's extensions, types, sequences, functions, triggers and comments, each under
    its key as the server writes it."""
    out: dict[str, Any] = {}
    for obj in live.objects:
        if obj.kind == "extension":
            out.setdefault("extensions", []).append(obj.name)
        elif obj.kind in ("enum", "type"):
            out.setdefault("types", {})[obj.key] = {"enum": list(obj.items)} if obj.kind == "enum" else {
                "sql": obj.sql}
        else:
            out.setdefault(obj.kind + "s", {})[obj.key] = obj.sql
    return out


def entry_name(db_path: Path, base: Path, name: Optional[str]) -> str:
    """The key under "databases": --name, else the path relative to the schema file's folder (base)."""
    if name:
        key = name
    else:
        try:
            key = Path(os.path.relpath(db_path.resolve(), base.resolve())).as_posix()
        except ValueError:
            raise SnapshotError("the database is on another drive than the schema: give --name") from None
    if key.startswith("../") or key == ".." or Path(key).is_absolute():
        raise SnapshotError(f"{db_path} is outside the schema's folder {base}, so {key!r} could not be loaded: "
                            "give --schema (or --out) in a folder that holds the database, or --name")
    return key


def merge_into(out: Path, name: str, entry: dict[str, Any]) -> str:
    """Write a new schema.json, or replace/add one databases entry in an existing one; say which."""
    if out.exists():
        try:
            doc = read_document(out)
        except SchemaError as exc:
            where, message = exc.problems[0]
            raise SnapshotError(f"{out}: {where}: {message}; not changed") from None
        if not isinstance(doc, dict):
            raise SnapshotError(f"{out} does not hold a JSON object; not changed")
        databases = doc.setdefault("databases", {})
        verb = "replaced" if name in databases else "added"
        databases[name] = entry
    else:
        doc = {"version": 1, "databases": {name: entry}}
        verb = "created"
    try:
        # a fresh temporary name, then a rename: a link planted at a predictable name is never followed
        write_private(out, (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8"), shared_mode(out))
    except OSError as exc:
        raise SnapshotError(f"cannot write {out}: {exc.strerror or exc}") from None
    return verb
