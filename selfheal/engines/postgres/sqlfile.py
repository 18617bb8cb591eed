"""SQL files as a PostgreSQL declaration: CREATE statements only, split here, run by the server itself.

The files are split and sorted at load (no server is needed for that): statements that create objects
beside the tables (extensions, types, domains, sequences, functions, triggers) become declared objects,
compared as the server writes them; CREATE TABLE / INDEX / VIEW and COMMENT ON run, in file order, in the
scratch schema where the server checks the declaration (always rolled back), and its catalogue is read
back as the declared tables. Names are unqualified: the entry's namespace places them."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Optional

from selfheal.model import Database, SchemaObject, SqlDeclaration, Table, fold
from selfheal.planning.sql import view_select
from selfheal.safety.safefile import read_sql_file

_IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_NAME = rf"(?P<name>{_IDENT})?(?P<qualified>\s*\.\s*{_IDENT})?"
# (kind, pattern): the name follows the head; a kind of None is a relation statement (run in file order)
_HEADS: list[tuple[Optional[str], re.Pattern[str]]] = [(kind, re.compile(head + _NAME, re.IGNORECASE))
                                                       for kind, head in (
    ("extension", r"CREATE\s+EXTENSION\s+(?:IF\s+NOT\s+EXISTS\s+)?"),
    ("type", r"CREATE\s+(?:TYPE|DOMAIN)\s+"),
    ("sequence", r"CREATE\s+SEQUENCE\s+(?:IF\s+NOT\s+EXISTS\s+)?"),
    ("function", r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:FUNCTION|PROCEDURE)\s+"),
    ("trigger", r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:CONSTRAINT\s+)?TRIGGER\s+"),
    (None, r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"),
    (None, r"CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+"),
    (None, r"CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?(?!ON\b)"),
    (None, r"CREATE\s+(?:UNIQUE\s+)?INDEX\s+()(?=ON\b)"),  # an unnamed index
    (None, r"COMMENT\s+ON\s+(?:TABLE|COLUMN)\s+"),
    # a constraint added to a declared table: how dumps write keys, and how tables that reference each other can
    (None, r"ALTER\s+TABLE\s+(?:ONLY\s+)?(?=(?:\S+|\"[^\"]*\")\s+ADD\s+(?:CONSTRAINT|FOREIGN|PRIMARY|UNIQUE|CHECK)\b)"),
)]
_NOT_CARRIED = re.compile(r"\b(PARTITION\s+(OF|BY)|INHERITS|CONCURRENTLY|UNLOGGED|TEMP|TEMPORARY)\b", re.IGNORECASE)
_TRIGGER_TABLE = re.compile(rf"\sON\s+(?P<table>{_IDENT})", re.IGNORECASE)
# the table a statement changes, which must be one the files create: in the scratch schema it is, so the
# check never takes a lock on (or writes to) a live table
_TARGET = re.compile(rf"(?:CREATE\s+(?:UNIQUE\s+)?INDEX\b.*?\sON\s+(?:ONLY\s+)?|ALTER\s+TABLE\s+(?:ONLY\s+)?|"
                     rf"COMMENT\s+ON\s+(?:TABLE|COLUMN)\s+)(?P<table>{_IDENT})", re.IGNORECASE | re.DOTALL)
_AS_QUERY = re.compile(r"^CREATE\s+TABLE\b[^(]*?\bAS\b", re.IGNORECASE)
_ATOMIC = re.compile(r"\bBEGIN\s+ATOMIC\b", re.IGNORECASE)
_ENDS_WITH_END = re.compile(r"\bEND\s*$", re.IGNORECASE)
_INTERESTING = re.compile(r"[';\"$]|--|/\*")
_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


def statements(text: str) -> list[tuple[int, str]]:
    """The statements of a PostgreSQL script with the line each starts on, in one pass: a ';' ends one
    outside quotes ('…', E'…', "…", $tag$…$tag$) and comments (-- and nested /* */), and inside a
    BEGIN ATOMIC body only after its END."""
    out: list[tuple[int, str]] = []
    start, i, n = 0, 0, len(text)
    while i < n:
        found = _INTERESTING.search(text, i)
        if found is None:
            break
        i = found.start()
        ch = text[i]
        if ch == "'":
            escaped = i > 0 and text[i - 1] in "eE" and (i < 2 or not (text[i - 2].isalnum() or text[i - 2] == "_"))
            i = _string_end(text, i + 1, escaped)
        elif ch == '"':
            close = text.find('"', i + 1)
            while close >= 0 and text.startswith('""', close):
                close = text.find('"', close + 2)
            i = n if close < 0 else close + 1
        elif ch == "$":
            tag = _DOLLAR.match(text, i)
            if tag is None or (i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")):
                i += 1
                continue
            close = text.find(tag.group(0), tag.end())
            i = n if close < 0 else close + len(tag.group(0))
        elif text.startswith("--", i):
            newline = text.find("\n", i)
            i = n if newline < 0 else newline
        elif text.startswith("/*", i):
            i = _comment_end(text, i)
        elif ch == ";":
            body = text[start:i]
            if not _ATOMIC.search(body) or _ENDS_WITH_END.search(body):
                _emit(text, start, i, out)
                start = i + 1
            i += 1
        else:
            i += 1
    _emit(text, start, n, out)
    return out


def _string_end(text: str, i: int, escaped: bool) -> int:
    """The position after the quote closing a string whose body starts at i."""
    n = len(text)
    while i < n:
        if escaped and text[i] == "\\":
            i += 2
        elif text[i] == "'":
            if text.startswith("''", i):
                i += 2
            else:
                return i + 1
        else:
            i += 1
    return n


def _comment_end(text: str, i: int) -> int:
    """The position after a /* comment */ starting at i (they nest in PostgreSQL)."""
    depth, n = 0, len(text)
    while i < n:
        if text.startswith("/*", i):
            depth, i = depth + 1, i + 2
        elif text.startswith("*/", i):
            depth, i = depth - 1, i + 2
            if depth == 0:
                return i
        else:
            i += 1
    return n


def _emit(text: str, start: int, end: int, out: list[tuple[int, str]]) -> None:
    """Add the statement text[start:end] (after its leading white space and comments), if any."""
    begin = start
    while begin < end:
        if text[begin].isspace():
            begin += 1
        elif text.startswith("--", begin):
            newline = text.find("\n", begin, end)
            begin = end if newline < 0 else newline
        elif text.startswith("/*", begin):
            begin = min(_comment_end(text, begin), end)
        else:
            break
    if begin < end:
        out.append((text.count("\n", 0, begin) + 1, text[begin:end].strip()))


def trigger_table(statement: str) -> str:
    """The table a CREATE TRIGGER statement is on, as PostgreSQL names it ("" when none is found)."""
    code = re.sub(r"--[^\n]*|/\*.*?\*/", " ", statement, flags=re.DOTALL)
    found = _TRIGGER_TABLE.search(code)
    return unquoted(found.group("table")) if found else ""


def unquoted(name: str) -> str:
    """An identifier as PostgreSQL names it: "Quoted" kept, bare ones folded to lower case."""
    return name[1:-1].replace('""', '"') if name.startswith('"') else name.lower()


def load(root: Path, files: tuple[str, ...], limit: int) -> SqlDeclaration:
    """Read and sort the files' statements (objects apart, relations in file order); problems by file:line."""
    result = SqlDeclaration()
    for rel in files:
        text, problems = read_sql_file(root, rel, limit)
        result.problems.extend(problems)
        for line, statement in statements(text):
            _sort(f"{rel}:{line}", statement, result)
    return _targets_created(result)


def _targets_created(result: SqlDeclaration) -> SqlDeclaration:
    """An index, constraint or comment on a table the files do not create is a problem (it would act on a
    live table); so is a trigger's table."""
    kept = []
    for where, statement in result.statements:
        target = _TARGET.match(statement)
        name = unquoted(target.group("table")) if target else ""
        if target and fold(name) not in result.origin:
            result.problems.append((where, f"names table {name}, which these files do not create (declare what "
                                           "is on a table where the table is declared)"))
        else:
            kept.append((where, statement))
    result.statements = kept
    for obj in result.objects:
        table = obj.key.rpartition(".")[0] if obj.kind == "trigger" else ""
        if table and fold(table) not in result.origin:
            result.problems.append((obj.origin, f"trigger on table {table}, which these files do not create"))
    return result


def _sort(where: str, statement: str, result: SqlDeclaration) -> None:
    """One statement into the declaration: an object, a relation statement, or a problem naming where."""
    code = re.sub(r"--[^\n]*|/\*.*?\*/", " ", statement, flags=re.DOTALL)
    for kind, head in _HEADS:
        found = head.match(code)
        if found is None:
            continue
        name = found.group("name") or ""
        if found.group("qualified") and not re.match(r"COMMENT\s", code, re.IGNORECASE):
            result.problems.append((where, f"names {name}{found.group('qualified')} with its schema: write it "
                                           "unqualified (the entry's schema places it)"))
        elif _AS_QUERY.match(code):
            result.problems.append((where, "CREATE TABLE … AS runs a query: declare the table's columns"))
        elif _NOT_CARRIED.search(code[:found.end() + 400]) and kind is None:
            word = " ".join(_NOT_CARRIED.search(code).group(0).upper().split())  # type: ignore[union-attr]
            result.problems.append((where, f"{word} is not carried by selfheal: declare the table plainly"))
        elif kind is None:
            result.statements.append((where, statement))
            if name and re.match(r"CREATE\s", code, re.IGNORECASE):
                result.origin.setdefault(fold(unquoted(name)), where.rsplit(":", 1)[0])
        else:
            key = unquoted(name)
            if kind == "trigger" and trigger_table(statement):
                key = f"{trigger_table(statement)}.{key}"
            result.objects.append(SchemaObject(kind, key, statement, key=key, origin=where))
        return
    words = " ".join(code.split()[:3])
    result.problems.append((where, f"is not a CREATE statement selfheal can declare ({words} …): SQL files for "
                                   "PostgreSQL hold CREATE TABLE, INDEX, VIEW, TYPE, DOMAIN, SEQUENCE, FUNCTION, "
                                   "TRIGGER, EXTENSION, COMMENT ON TABLE / COLUMN and ALTER TABLE … ADD CONSTRAINT"))


def declared_tables(live: Database, schema: str, names: set[str]) -> tuple[list[Table], list[tuple[str, str]]]:
    """The scratch schema's tables named in the files (and their views), as declarations: UNIQUE
    constraints as sets, each index created from the server's own text."""
    tables = []
    for table in live.tables:
        if fold(table.name) not in names:
            continue
        indexes = tuple(replace(i, sql=(i.sql or "").replace(f" ON {schema}.", " ON ", 1))
                        for i in table.indexes if i.origin == "c")
        unique = tuple(tuple(c or "" for c in i.columns) for i in table.indexes if i.origin == "u")
        columns = tuple(replace(c, hidden=False) for c in table.columns)
        tables.append(replace(table, columns=columns, indexes=indexes, unique=unique))
    views = [(name, view_select(text)) for name, text in live.views if fold(name) in names]
    return tables, views
