"""schema.snapshot: a live database written as a schema.json `databases` entry, and merged into a file."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from pathlib import Path
from typing import Any, Optional, Union

from . import catalog
from .dbfile import error_text, header_problem, reading
from .model import Column, Database, Table, fold
from .safefile import shared_mode, write_private
from .schemafile import SchemaError, read_document
from .sql import view_select

_INTEGER = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")


class SnapshotError(Exception):
    """The database cannot be snapshotted, or the output cannot be written; the message says why."""


def literal_default(text: str) -> Union[str, int, float, bool, None, dict[str, str]]:
    """A live DEFAULT as schema.json writes it: a JSON literal when it is one, else {"sql": text}."""
    stripped = text.strip()
    upper = stripped.upper()
    if upper == "NULL":
        return None  # DEFAULT NULL is the same as no default
    if upper in ("TRUE", "FALSE"):
        return upper == "TRUE"
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


def _column_spec(column: Column, single_pk: bool) -> Union[str, dict[str, Any]]:
    spec: dict[str, Any] = {"type": column.type or "BLOB"}
    if single_pk:
        spec["primary_key"] = True
    if column.not_null and not single_pk:
        spec["not_null"] = True
    if column.default is not None:
        value = literal_default(str(column.default.value))
        if value is not None:
            spec["default"] = value
    if column.references:
        spec["references"] = f"{column.references[0]}.{column.references[1]}"
    return spec["type"] if len(spec) == 1 else spec


def table_entry(table: Table, notes: list[str]) -> dict[str, Any]:
    """One table in schema.json form; what the format cannot say goes to notes."""
    single = table.primary_key[0] if len(table.primary_key) == 1 else None
    columns = {}
    for column in table.columns:
        if column.hidden:
            notes.append(f"{table.name}.{column.name}: generated column left out")
            continue
        columns[column.name] = _column_spec(column, column.name == single)
        if not column.type:
            notes.append(f"{table.name}.{column.name}: no declared type, written as BLOB (same affinity)")
    entry: dict[str, Any] = {"columns": columns}
    if len(table.primary_key) > 1:
        entry["primary_key"] = list(table.primary_key)
    indexes = []
    for index in table.indexes:
        if index.origin == "pk":
            continue
        if index.partial or None in index.columns:
            notes.append(f"{table.name}: index {index.name} is partial or on an expression, left out")
            continue
        spec: dict[str, Any] = {"columns": list(index.columns)}
        if index.unique:
            spec["unique"] = True
        if index.origin == "c" and index.name:
            spec["name"] = index.name
        indexes.append(spec)
    if indexes:
        entry["indexes"] = indexes
    upper = table.sql.upper()
    for word, what in (("AUTOINCREMENT", "AUTOINCREMENT"), ("CHECK", "CHECK constraints"), ("COLLATE", "COLLATE"),
                       ("WITHOUT ROWID", "WITHOUT ROWID"), ("STRICT", "STRICT")):
        if word in upper:
            notes.append(f"{table.name}: {what} cannot be declared in schema.json (kept in the database)")
    return entry


def snapshot(db_path: Path, timeout: float = 10.0) -> tuple[dict[str, Any], list[str]]:
    """The `tables` entry of a live database, and notes on what schema.json cannot declare."""
    if not db_path.is_file():
        raise SnapshotError(f"{db_path} does not exist or is not a file")
    try:
        problem = header_problem(db_path)
    except OSError as exc:
        raise SnapshotError(f"cannot read {db_path}: {exc.strerror or exc}") from None
    if problem or db_path.stat().st_size == 0:
        raise SnapshotError(f"{db_path}: {problem or 'empty file, nothing to snapshot'}")
    try:
        with reading(db_path, timeout) as conn:
            live: Database = catalog.read(conn, db_path.name)
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{db_path}: {error_text(exc)}") from None
    notes: list[str] = []
    entry: dict[str, Any] = {"tables": {t.name: table_entry(t, notes) for t in dependency_order(live.tables)}}
    if live.views:  # in creation order, so a view over another view comes after it
        entry["views"] = {name: view_select(text) for name, text in live.views}
    if live.triggers:
        entry["triggers"] = dict(live.triggers)
    return entry, notes


def snapshot_sql(db_path: Path, timeout: float = 10.0) -> str:
    """The database's own DDL, in creation order, as an SQL file a declaration can name (lossless)."""
    if not db_path.is_file():
        raise SnapshotError(f"{db_path} does not exist or is not a file")
    try:
        problem = header_problem(db_path)
        if problem:
            raise SnapshotError(f"{db_path}: {problem}")
        with reading(db_path, timeout) as conn:
            ddl = conn.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' "
                               "ESCAPE '\\' ORDER BY rowid").fetchall()
    except OSError as exc:
        raise SnapshotError(f"cannot read {db_path}: {exc.strerror or exc}") from None
    except (sqlite3.Error, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{db_path}: {error_text(exc)}") from None
    return f"-- schema of {db_path.name}, written by selfheal schema.snapshot --format sql\n" + "".join(
        f"{text};\n" for (text,) in ddl)


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
