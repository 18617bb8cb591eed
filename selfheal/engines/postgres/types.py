"""Types on PostgreSQL: the portable SQLite spellings mapped to PostgreSQL types, native types allowed."""

from __future__ import annotations

import json
import re
from typing import Any, Union

# SQLite spellings a declaration may share between engines, and what each means on PostgreSQL
PORTABLE = {
    "INTEGER": "bigint", "INT": "bigint", "BIGINT": "bigint", "INT8": "bigint", "SMALLINT": "smallint",
    "TINYINT": "smallint", "MEDIUMINT": "integer", "REAL": "double precision", "DOUBLE": "double precision",
    "FLOAT": "double precision", "TEXT": "text", "CLOB": "text", "BLOB": "bytea", "BOOLEAN": "boolean",
    "BOOL": "boolean", "DATETIME": "timestamp", "TIMESTAMP": "timestamp", "DATE": "date", "TIME": "time",
    "NUMERIC": "numeric", "DECIMAL": "numeric", "VARCHAR": "varchar", "NVARCHAR": "varchar", "CHAR": "char",
    "NCHAR": "char", "JSON": "jsonb",
}
INTEGER_TYPES = {"bigint", "integer", "smallint", "int", "int2", "int4", "int8"}
_SHAPE = re.compile(r"(?P<base>[A-Za-z_][A-Za-z0-9_]*(\s+[A-Za-z_][A-Za-z0-9_]*)*)"
                    r"(?P<args>\s*\(\s*\d+\s*(,\s*\d+\s*)?\))?(?P<array>(\s*\[\s*\])*)")
_CONSTRAINT = re.compile(r"\b(NOT\s+NULL|PRIMARY\s+KEY|DEFAULT|REFERENCES|CHECK|COLLATE|UNIQUE|GENERATED|CONSTRAINT)\b",
                         re.IGNORECASE)
_SQLITE_COLLATIONS = {"NOCASE", "RTRIM"}


def pg_type_problem(type_name: str) -> str:
    """Why a declared type is no PostgreSQL type name ("" when its shape is one; the server checks the name)."""
    if not _SHAPE.fullmatch(type_name):
        return (f"{json.dumps(type_name)} is not a type name (words, optionally (N) or (N, M), optionally [] "
                "for an array)")
    if _CONSTRAINT.search(type_name):
        return f"{json.dumps(type_name)} holds a constraint: use the column's keys (not_null, default, …) for it"
    if type_name.upper() == "ANY":
        return "ANY is SQLite's (STRICT tables); PostgreSQL has no such type"
    return ""


def pg_type(declared: str) -> str:
    """The PostgreSQL spelling of a declared type: portable names mapped, native ones as written."""
    match = _SHAPE.fullmatch(declared)
    if match is None:
        return declared
    base = " ".join(match.group("base").split())
    mapped = PORTABLE.get(base, base) if is_portable(base) else base
    args = re.sub(r"\s+", "", match.group("args") or "")
    array = "[]" * (match.group("array") or "").count("[")
    return f"{mapped}{args}{array}"


def is_portable(base: str) -> bool:
    """A portable SQLite spelling is written in upper case (INTEGER, REAL, DATETIME); a lower-case one is
    PostgreSQL's own (integer is 4 bytes, as the server writes it) and is never re-mapped."""
    return base == base.upper() and base in PORTABLE


def implied_identity(type_name: str) -> bool:
    """A portable integer primary key is an identity, as SQLite's INTEGER PRIMARY KEY assigns ids itself."""
    base = split(type_name)[0]
    return is_portable(base) and PORTABLE[base] in INTEGER_TYPES


def split(type_name: str) -> tuple[str, str, str]:
    """(base, "(args)", "[]"s) of a PostgreSQL type spelling."""
    match = _SHAPE.fullmatch(type_name)
    if match is None:
        return type_name, "", ""
    return (" ".join(match.group("base").split()), re.sub(r"\s+", "", match.group("args") or ""),
            "[]" * (match.group("array") or "").count("["))


def unsupported_keys(body: dict[str, Any]) -> list[tuple[list[Union[str, int]], str]]:
    """Keys of a database entry that mean nothing on PostgreSQL, each with why."""
    out: list[tuple[list[Union[str, int]], str]] = []
    for name, table in body.get("tables", {}).items():
        for key in ("strict", "without_rowid"):
            if table.get(key):
                out.append((["tables", name, key], "is an SQLite table option; PostgreSQL has no such option"))
        for col, spec in table.get("columns", {}).items():
            if not isinstance(spec, dict):
                continue
            where: list[Union[str, int]] = ["tables", name, "columns", col]
            if "generated" in spec and not spec["generated"].get("stored"):
                out.append((where + ["generated"], "PostgreSQL 15 generates STORED columns only: add \"stored\": true"))
            if str(spec.get("collate", "")).upper() in _SQLITE_COLLATIONS:
                out.append((where + ["collate"], f"{spec['collate']} is an SQLite collation; on PostgreSQL use a "
                                                 "server collation (\"C\", \"und-x-icu\") or a citext column"))
    return out
