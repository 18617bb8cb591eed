"""SQL text for the model: identifiers and literals quoted, DDL rendered, table definitions spliced."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Optional

from selfheal.model import Column, Default, Index, Literal, Table, fold

QUOTES = {'"': '"', "'": "'", "`": "`", "[": "]"}  # SQLite's quotes: each opening character and its closing one
_BARE_DEFAULTS = {"CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME", "NULL", "TRUE", "FALSE"}
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def quote_ident(name: str) -> str:
    """Quote an identifier so that any name SQLite accepts is used verbatim."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: Literal) -> str:
    """Render a JSON literal as an SQL literal (never guessed as SQL)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def default_sql(default: Default) -> str:
    """The text after DEFAULT: a literal, a bare keyword, or a parenthesised expression."""
    if not default.sql:
        return quote_literal(default.value)
    expr = str(default.value).strip()
    if expr.upper() in _BARE_DEFAULTS or _NUMBER.fullmatch(expr) or _is_string_literal(expr):
        return expr
    return f"({expr})"


def _is_string_literal(expr: str) -> bool:
    return len(expr) >= 2 and expr[0] == expr[-1] == "'" and "'" not in expr[1:-1].replace("''", "")


def column_def(column: Column, inline_pk: bool = False) -> str:
    """The column definition as it appears in CREATE TABLE or ADD COLUMN (SQL-declared: as written)."""
    if column.definition and not inline_pk:
        return column.definition
    parts = [quote_ident(column.name)]
    if column.type:
        parts.append(column.type)
    if inline_pk:
        parts.append("PRIMARY KEY AUTOINCREMENT" if column.autoincrement else "PRIMARY KEY")
    if column.not_null:
        parts.append("NOT NULL")
    if column.default is not None:
        parts.append("DEFAULT " + default_sql(column.default))
    parts.extend(constraint_clauses(column, column.collate))
    return " ".join(parts)


def constraint_clauses(column: Column, collation: str) -> list[str]:
    """A column's COLLATE, UNIQUE, CHECK, REFERENCES and GENERATED clauses (shared by both engines;
    `collation` as the engine spells it)."""
    parts = [f"COLLATE {collation}"] if collation else []
    if column.unique:
        parts.append("UNIQUE")
    if column.check:
        parts.append(f"CHECK ({column.check})")
    if column.references:
        table, col = column.references
        parts.append(f"REFERENCES {quote_ident(table)} ({quote_ident(col)})")
        if column.fk_actions:
            parts.append(column.fk_actions)
    if column.generated:
        parts.append(f"GENERATED ALWAYS AS ({column.generated}) {'STORED' if column.stored else 'VIRTUAL'}")
    return parts


def table_constraints(table: Table) -> list[str]:
    """A table's UNIQUE sets, composite foreign keys and CHECKs as CREATE TABLE items (both engines)."""
    nnd = {tuple(fold(c) for c in cols) for cols in table.nulls_not_distinct}
    names = {tuple(fold(c) for c in cols): f"CONSTRAINT {quote_ident(name)} " for cols, name in table.unique_names}
    defs = [f"{names.get(tuple(fold(c) for c in cols), '')}UNIQUE"
            f"{' NULLS NOT DISTINCT' if tuple(fold(c) for c in cols) in nnd else ''} ({quote_names(cols)})"
            for cols in table.unique]
    defs.extend(f"FOREIGN KEY ({quote_names(fk.columns)}) REFERENCES {quote_ident(fk.table)} "
                f"({quote_names(fk.parent_columns)})" + (f" {fk.actions}" if fk.actions else "")
                for fk in table.foreign_keys)
    defs.extend(f"CHECK ({expr})" for expr in table.checks)
    return defs


def nonempty_query(table: str) -> str:
    """SQL answering whether a table has a row (both engines)."""
    return f"SELECT EXISTS (SELECT 1 FROM {quote_ident(table)})"


def clash_query(table: str, columns: tuple[str, ...]) -> str:
    """SQL counting the rows a unique index over these columns would clash on (both engines); with
    no columns, the rows that would all hold one new column's same default."""
    if not columns:
        return f"SELECT CASE WHEN COUNT(*) > 1 THEN COUNT(*) ELSE 0 END FROM {quote_ident(table)}"
    not_null = " AND ".join(f"{quote_ident(c)} IS NOT NULL" for c in columns)
    return (f"SELECT COALESCE(SUM(n), 0) FROM (SELECT COUNT(*) AS n FROM {quote_ident(table)} "
            f"WHERE {not_null} GROUP BY {quote_names(columns)} HAVING COUNT(*) > 1) AS clashing")


def quote_names(names: Iterable[str]) -> str:
    """Identifiers quoted and joined with commas."""
    return ", ".join(map(quote_ident, names))


def create_table(table: Table) -> str:
    """CREATE TABLE for a declared table, columns in declared order (SQL-declared: its own text)."""
    if table.sql:
        return table.sql
    single_pk = table.primary_key[0] if len(table.primary_key) == 1 else None
    defs = [column_def(c, inline_pk=c.name == single_pk) for c in table.columns]
    if len(table.primary_key) > 1:
        defs.append("PRIMARY KEY (" + ", ".join(map(quote_ident, table.primary_key)) + ")")
    defs.extend(table_constraints(table))
    options = ", ".join(o for o, on in (("STRICT", table.strict), ("WITHOUT ROWID", table.without_rowid)) if on)
    return f"CREATE TABLE {quote_ident(table.name)} (\n  " + ",\n  ".join(defs) + "\n)" + (
        f" {options}" if options else "")


def create_index(table: str, index: Index, name: str) -> str:
    """CREATE [UNIQUE] INDEX with every identifier quoted (SQL-declared: its own text)."""
    if index.sql:
        return index.sql
    unique = "UNIQUE " if index.unique else ""
    cols = ", ".join(index.terms) if index.terms else quote_names(c or "" for c in index.columns)
    where = f" WHERE {index.where}" if index.where else ""
    return f"CREATE {unique}INDEX {quote_ident(name)} ON {quote_ident(table)} ({cols}){where}"


def add_column(table: str, column: Column) -> str:
    """ALTER TABLE … ADD COLUMN."""
    return f"ALTER TABLE {quote_ident(table)} ADD COLUMN {column_def(column)}"


def default_index_name(table: str, columns: Iterable[Optional[str]]) -> str:
    """The default index name: idx_TABLE_COL1_COL2."""
    return "_".join(["idx", table, *(c or "expr" for c in columns)])


def code_only(sql: str) -> str:
    """The statement with every quoted string, quoted identifier and comment blanked out (same length)."""
    out, i, n = [], 0, len(sql)
    closers = QUOTES
    while i < n:
        ch = sql[i]
        if ch in closers:
            j = closing_quote(sql, i + 1, closers[ch])
            out.append(" " * (j - i + 1))
            i = j + 1
            continue
        if sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
            continue
        if sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(" " * (j - i))
            i = j
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def closing_quote(sql: str, i: int, close: str) -> int:
    """Index of the quote that closes a quoted part starting at i (doubled quotes stay inside)."""
    n = len(sql)
    while i < n:
        if sql[i] == close:
            if close != "]" and i + 1 < n and sql[i + 1] == close:
                i += 2
                continue
            return i
        i += 1
    return n - 1


def has_keyword(sql: str, word: str) -> bool:
    """True when the keyword appears in the statement's code (not inside a string, name or comment)."""
    return re.search(rf"\b{word}\b", code_only(sql), re.IGNORECASE) is not None


ROWID_NAMES = ("rowid", "_rowid_", "oid")


def rowid_alias(column_names: Iterable[str]) -> Optional[str]:
    """A name that reaches the rowid of a table with these columns (None when every alias is a column)."""
    taken = {name.lower() for name in column_names}
    return next((alias for alias in ROWID_NAMES if alias not in taken), None)


_TABLE_CONSTRAINT = re.compile(r"(CONSTRAINT|PRIMARY|UNIQUE|CHECK|FOREIGN)\b", re.IGNORECASE)


def splice_columns(create_sql: str, new_defs: list[str]) -> str:
    """Insert column definitions after the last column of a CREATE TABLE statement.

    Items are split on top-level commas (quotes, brackets and comments respected); new columns go
    before the table constraints, as SQLite's own ADD COLUMN does.
    """
    items = _top_level_items(create_sql)
    if items is None:
        raise ValueError("cannot parse the table definition")
    open_pos, spans = items
    last_column_end = open_pos + 1
    for start, end in spans:
        if _TABLE_CONSTRAINT.match(create_sql[start:end].lstrip()):
            break
        last_column_end = end
    last_line = create_sql[:last_column_end].rsplit("\n", 1)[-1]
    # after a trailing line comment, a comma on the same line would be commented out
    sep = "\n  , " if "--" in last_line else ", "
    addition = "".join(sep + d for d in new_defs)
    return create_sql[:last_column_end] + addition + create_sql[last_column_end:]


def _top_level_items(sql: str) -> Optional[tuple[int, list[tuple[int, int]]]]:
    """Position of the opening paren and (start, end) of each top-level item inside it."""
    depth, i, n = 0, 0, len(sql)
    open_pos, start = -1, -1
    spans: list[tuple[int, int]] = []
    closers = QUOTES
    while i < n:
        ch = sql[i]
        if ch in closers:
            i = closing_quote(sql, i + 1, closers[ch])
        elif sql.startswith("--", i):
            i = sql.find("\n", i)
            i = n if i < 0 else i
        elif sql.startswith("/*", i):
            i = sql.find("*/", i + 2)
            i = n if i < 0 else i + 1
        elif ch == "(":
            depth += 1
            if depth == 1 and open_pos < 0:
                open_pos, start = i, i + 1
        elif ch == ")":
            depth -= 1
            if depth == 0 and open_pos >= 0:
                spans.append((start, _rstrip_pos(sql, start, i)))
                return open_pos, spans
        elif ch == "," and depth == 1:
            spans.append((start, _rstrip_pos(sql, start, i)))
            start = i + 1
        i += 1
    return None


def _rstrip_pos(sql: str, start: int, end: int) -> int:
    while end > start and sql[end - 1].isspace():
        end -= 1
    return end


def view_select(create_view: str) -> str:
    """The SELECT of a CREATE VIEW statement (what follows its first AS in code)."""
    match = re.search(r"\bAS\b", code_only(create_view), re.IGNORECASE)
    return create_view[match.end():].strip() if match else create_view


_PLAIN_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PUNCT_SPACE = re.compile(r"\s*([(),=<>+*/|-])\s*")


def normalized(text: str) -> str:
    """SQL text with spelling differences removed: case and quotes of plain names, spaces, IF NOT EXISTS.

    String literals are kept as written; two texts with equal results mean the same to SQLite."""
    out, i, n = [], 0, len(text)
    closers = {'"': '"', "`": "`", "[": "]"}
    while i < n:
        ch = text[i]
        if ch == "'":
            j = closing_quote(text, i + 1, "'")
            out.append("\0" + text[i:j + 1] + "\0")
            i = j + 1
        elif ch in closers:
            j = closing_quote(text, i + 1, closers[ch])
            inner = text[i + 1:j]
            out.append(fold(inner) if _PLAIN_WORD.fullmatch(inner) else text[i:j + 1])
            i = j + 1
        elif text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            out.append(" ")
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            out.append(" ")
        else:
            out.append(ch.lower() if ch.isascii() else ch)
            i += 1
    pieces = "".join(out).split("\0")
    for k in range(0, len(pieces), 2):  # outside string literals
        code = " ".join(pieces[k].split())
        code = _PUNCT_SPACE.sub(r"\1", code).replace("if not exists ", "")
        pieces[k] = code
    return "".join(pieces).strip().rstrip(";").strip()


def same_sql(a: str, b: str) -> bool:
    """Two pieces of SQL are spelled alike but for white space and a final semicolon."""
    return " ".join(a.strip().rstrip(";").split()) == " ".join(b.strip().rstrip(";").split())


_CREATE_VIEW = re.compile(r"\s*CREATE\s+VIEW\b", re.IGNORECASE)


def view_body(declared: str) -> str:
    """The SELECT of a view declared as a SELECT (JSON) or as its CREATE VIEW statement (SQL files)."""
    return view_select(declared) if _CREATE_VIEW.match(code_only(declared)) else declared


def create_view(name: str, select: str) -> str:
    """CREATE VIEW for a declared view (declared as a whole statement: as written)."""
    if _CREATE_VIEW.match(code_only(select)):
        return select.strip().rstrip(";")
    return f"CREATE VIEW {quote_ident(name)} AS {select.strip().rstrip(';')}"


def definition_start(create_sql: str) -> int:
    """Where the parenthesised definition of a CREATE TABLE statement starts (after its name)."""
    items = _top_level_items(create_sql)
    if items is None:
        raise ValueError("cannot parse the table definition")
    return items[0]


def table_items(create_sql: str) -> list[str]:
    """The top-level items of a CREATE TABLE (or CREATE INDEX) statement: definitions and constraints."""
    items = _top_level_items(create_sql)
    if items is None:
        return []
    return [t for t in (create_sql[start:end].strip() for start, end in items[1]) if t]


def is_table_constraint(item: str) -> bool:
    """True when a CREATE TABLE item is a table constraint rather than a column definition."""
    return _TABLE_CONSTRAINT.match(item) is not None


def column_definitions(create_sql: str) -> dict[str, str]:
    """Each column's definition text in a CREATE TABLE statement, by folded column name."""
    out = {}
    for text in table_items(create_sql):
        if is_table_constraint(text):
            continue
        name = leading_name(text)
        if name:
            out[fold(name)] = text
    return out


def leading_name(text: str) -> str:
    """The identifier a column definition starts with, unquoted."""
    closers = QUOTES
    if text[0] in closers:
        end = closing_quote(text, 1, closers[text[0]])
        inner = text[1:end]
        return inner if text[0] == "[" else inner.replace(text[0] * 2, text[0])
    match = re.match(r"[^\s(]+", text)
    return match.group(0) if match else ""


def index_body(create_index: str) -> str:
    """"(terms) WHERE …" of a CREATE INDEX statement, as written (white space folded)."""
    code = code_only(create_index)
    on = re.search(r"\bON\b[^(]*\(", code, re.IGNORECASE)
    return " ".join(create_index[on.end() - 1:].split()) if on else " ".join(create_index.split())
