"""Whether a declared SQL expression stays one expression, read as its engine reads it."""

from __future__ import annotations

import re

from selfheal.planning.sql import QUOTES

_PG_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


def expression_problem(text: str, dialect: str, statement: bool = False) -> str:
    """Why a declared SQL expression might reach beyond itself ("" when it cannot): a comment, a ';',
    a parenthesis it closes but did not open (or leaves open), an unterminated quote. Quotes are read as
    the engine reads them (SQLite: '…' "…" `…` […]; PostgreSQL: '…' E'…' "…" $tag$…$tag$), so nothing
    the check takes for a string is code to the server. `statement`: one trailing ';' is allowed."""
    depth, i, n = 0, 0, len(text)
    body = text.rstrip()
    if statement and body.endswith(";"):
        body = body[:-1]
        n = len(body)
    while i < n:
        ch = body[i]
        end = _quoted_end(body, i, dialect)
        if end < 0:
            return "has a quoted string or name that is never closed"
        if end > i:
            i = end
            continue
        if body.startswith("--", i) or body.startswith("/*", i):
            return "holds an SQL comment (a declared expression is code only)"
        if ch == ";":
            return "holds a ';': one expression only"
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return "closes a parenthesis it did not open"
        i += 1
    return "leaves a parenthesis open" if depth else ""


def _quoted_end(text: str, i: int, dialect: str) -> int:
    """The index after the quoted part starting at i, i when none starts there, -1 when it never closes."""
    ch = text[i]
    if dialect == "postgres":
        if ch in "eE" and text[i + 1:i + 2] == "'" and not (i and (text[i - 1].isalnum() or text[i - 1] == "_")):
            j = i + 2
            while j < len(text):
                if text[j] == "\\":
                    j += 2
                    continue
                if text[j] == "'":
                    if text[j + 1:j + 2] == "'":
                        j += 2
                        continue
                    return j + 1
                j += 1
            return -1
        if ch == "$":
            tag = _PG_DOLLAR.match(text, i)
            if tag and not (i and (text[i - 1].isalnum() or text[i - 1] == "_")):
                found = text.find(tag.group(0), tag.end())
                return -1 if found < 0 else found + len(tag.group(0))
            return i
        closers = {"'": "'", '"': '"'}
    else:
        closers = QUOTES
    if ch not in closers:
        return i
    close, j = closers[ch], i + 1
    while j < len(text):
        if text[j] == close:
            if close != "]" and text[j + 1:j + 2] == close:
                j += 2
                continue
            return j + 1
        j += 1
    return -1
