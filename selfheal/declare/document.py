"""schema.json as a document: strict parsing (duplicate keys, NUL, lone surrogates, non-finite numbers,
depth), locations of problems, and a digest per database entry."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Optional, Union

from selfheal.version import __version__

SCHEMA_OF_SCHEMA = Path(__file__).resolve().parent.parent / "schema.schema.json"
PathPart = Union[str, int]


class SchemaError(Exception):
    """schema.json cannot be used; `problems` holds (location, message) pairs."""

    def __init__(self, path: Path, problems: list[tuple[str, str]]):
        super().__init__(f"{path}: {len(problems)} problem(s)")
        self.path = path
        self.problems = problems


def location(parts: Iterable[PathPart]) -> str:
    """Render a JSON path like databases."app/data.db".tables.users."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = part if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", part) else json.dumps(part)
            out += ("." if out else "") + text
    return out or "(top level)"


class _Object(dict):  # type: ignore[type-arg,unused-ignore]
    """A JSON object that remembers the keys it saw more than once."""

    duplicates: list[str]


def _object_pairs(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object()
    obj.duplicates = []
    for key, value in pairs:
        if key in obj and key not in obj.duplicates:
            obj.duplicates.append(key)
        obj[key] = value
    return obj


def read_document(path: Path, data: Optional[bytes] = None, trusted: bool = False) -> Any:
    """Parse schema.json strictly: syntax errors with line and column, duplicate keys rejected.

    `trusted` content (these very bytes passed every check before) is parsed without the checks."""
    try:
        text = (path.read_bytes() if data is None else data).decode("utf-8")
    except FileNotFoundError:
        raise SchemaError(path, [("(file)", f"schema file not found: {path}")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaError(path, [("(file)", f"cannot read {path}: {exc}")]) from None
    if trusted:
        return json.loads(text)
    try:
        doc, suspicious = _parse_fast(text)
        if suspicious:  # rare: parse again, slowly, to say exactly where each problem is
            doc = json.loads(text, object_pairs_hook=_object_pairs, parse_constant=_NonFinite)
    except json.JSONDecodeError as exc:
        raise SchemaError(
            path, [(f"line {exc.lineno}, column {exc.colno}", f"invalid JSON: {exc.msg}")]
        ) from None
    except RecursionError:
        raise SchemaError(path, [("(top level)", f"nested more than {MAX_DEPTH} levels deep")]) from None
    if suspicious or _depth(doc, cheap=True) > MAX_DEPTH:
        if _depth(doc) > MAX_DEPTH:  # the walks below recurse; JSON Schema bounds the depth of valid files
            raise SchemaError(path, [("(top level)", f"nested more than {MAX_DEPTH} levels deep")])
        problems = list(_duplicate_keys(doc, [])) + list(_bad_values(doc, []))
        if problems:
            raise SchemaError(path, problems)
    return doc


# NUL and lone surrogates can only enter a JSON text as \u escapes (raw control characters are invalid JSON)
_SUSPICIOUS_ESCAPE = re.compile(r"\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


def _parse_fast(text: str) -> tuple[Any, bool]:
    """Parse with the C decoder; True when a duplicate key, NUL, lone surrogate or non-finite number
    may be there (then the caller walks the document to locate each)."""
    found = [bool(_SUSPICIOUS_ESCAPE.search(text))]

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(items)
        if len(obj) != len(items):
            found[0] = True
        return obj

    def number(literal: str) -> float:
        value = float(literal)
        if not math.isfinite(value):
            found[0] = True
        return value

    def constant(literal: str) -> float:
        found[0] = True
        return float(literal)

    doc = json.loads(text, object_pairs_hook=pairs, parse_float=number, parse_constant=constant)
    return doc, found[0]


MAX_DEPTH = 32  # schema.json needs about 8; deeper is a mistake (and would exhaust Python's recursion)


class _NonFinite(str):
    """NaN, Infinity or -Infinity: Python's json accepts them, JSON and SQL do not."""


def _depth(node: Any, cheap: bool = False) -> int:
    """How deeply objects and arrays nest (iterative: any depth is measured without recursion).

    `cheap` follows only the first child of each container: enough to catch a deeply nested value
    anywhere but under the many-keyed objects (databases, tables, columns) the structure pass checks."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                break
            children = list(item.values() if isinstance(item, dict) else item)
            if cheap and len(children) > 8:
                children = children[:1]
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _duplicate_keys(node: Any, parts: list[PathPart]) -> Iterable[tuple[str, str]]:
    if isinstance(node, _Object):
        for key in node.duplicates:
            yield location(parts), f"duplicate key {json.dumps(key)} (JSON keeps only the last one)"
        for key, value in node.items():
            yield from _duplicate_keys(value, parts + [key])
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _duplicate_keys(value, parts + [i])


def _text_problem(text: str) -> str:
    """Why a string cannot be a name or SQL text: a NUL character, or a lone surrogate (not Unicode)."""
    if "\0" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"contains {text[exc.start]!r}, a lone surrogate escape that is not valid Unicode"
    return ""


def _bad_values(node: Any, parts: list[PathPart]) -> Iterable[tuple[str, str]]:
    """Values SQLite cannot hold: NUL characters, lone surrogates, NaN and infinite numbers."""
    if isinstance(node, _NonFinite) or (isinstance(node, float) and not math.isfinite(node)):
        yield location(parts), f"{node} is not a JSON number (only finite numbers are)"
    elif isinstance(node, str):
        problem = _text_problem(node)
        if problem:
            yield location(parts), problem
    elif isinstance(node, dict):
        for key, value in node.items():
            problem = _text_problem(key)
            if problem:
                yield location(parts + [key]), "name " + problem
            yield from _bad_values(value, parts + [key])
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _bad_values(value, parts + [i])


def schema_digest(data: bytes) -> str:
    """The digest the generated validator records of the JSON Schema it was made from."""
    return hashlib.sha256(data).hexdigest()


def declaration_digests(doc: Any) -> dict[str, str]:
    """A digest per database entry, with everything outside `databases` (and selfheal's version and
    JSON Schema) folded in: what the entry's validity and its database's remembered result depend on."""
    if not isinstance(doc, dict) or not isinstance(doc.get("databases"), dict):
        return {}
    base = hashlib.sha256(__version__.encode("utf-8") + SCHEMA_OF_SCHEMA.read_bytes())
    base.update(json.dumps({k: v for k, v in doc.items() if k != "databases"}, separators=(",", ":")).encode())
    digests = {}
    for key, entry in doc["databases"].items():
        h = base.copy()
        h.update(json.dumps([key, entry], separators=(",", ":")).encode())
        digests[key] = h.hexdigest()
    return digests


