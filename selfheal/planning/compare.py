"""Comparing a declared column or index with the live one, by meaning rather than spelling."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

from selfheal.model import Column, Default, Index, Table, fold
from selfheal.planning import sql


def column_differences(declared: Column, live: Column, is_pk: bool) -> list[tuple[str, str, str]]:
    """(aspect, declared, actual) for each way a live column differs from its declaration."""
    if (declared.type == live.type and declared.not_null == live.not_null and declared.references is None
            and declared.identity == live.identity and declared.collate == live.collate
            and (declared.default is None) == (live.default is None)
            and (declared.default is None or sql.default_sql(declared.default) == str(live.default.value))):  # type: ignore[union-attr]
        return []  # spelled exactly as selfheal writes it: the common case, decided without parsing
    diffs = []
    if normalize_type(declared.type) != normalize_type(live.type):
        diffs.append(("type", declared.type or "(none)", live.type or "(none)"))
    # a primary key column may be NOT NULL without saying so (WITHOUT ROWID, PostgreSQL), and an INTEGER
    # one is the rowid: only a declared NOT NULL key that the table lets hold NULLs is drift
    not_null = declared.not_null or bool(declared.identity)  # an identity column is NOT NULL by nature
    if not_null != live.not_null and (not is_pk or (not_null and live.type.upper() != "INTEGER")):
        diffs.append(("NOT NULL", "NOT NULL" if not_null else "nullable",
                      "NOT NULL" if live.not_null else "nullable"))
    if not same_default(declared.default, live.default):
        diffs.append(("default", sql.default_sql(declared.default) if declared.default else "none",
                      str(live.default.value) if live.default else "none"))
    if declared.identity != live.identity and not (declared.identity == "auto" and live.identity != "always"):
        diffs.append(("identity", declared.identity or "none", live.identity or "none"))
    if live.collate and fold(declared.collate) != fold(live.collate):  # a server says which one it uses
        diffs.append(("collation", declared.collate or "the type's", live.collate))
    if declared.references and (live.references is None or [fold(x) for x in declared.references] != [
            fold(x) for x in live.references]):
        diffs.append(("references", ".".join(declared.references),
                      ".".join(live.references) if live.references else "none"))
    return diffs


@lru_cache(maxsize=1024)
def normalize_type(type_name: str) -> str:
    """Compare types as SQLite reads them: case and spacing do not matter; no type is BLOB (same affinity)."""
    if not type_name.strip():
        return "BLOB"
    return re.sub(r"\s*\(\s*", "(", " ".join(type_name.upper().split())).replace(" )", ")").replace(", ", ",")


def same_default(declared: Optional[Default], live: Optional[Default]) -> bool:
    """Compare a declared default with the live one by meaning, not spelling ('0' equals 0)."""
    want = _default_value(sql.default_sql(declared)) if declared else None
    have = _default_value(str(live.value)) if live else None
    if want == have:
        return True
    try:
        return want is not None and have is not None and float(want) == float(have)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


@lru_cache(maxsize=1024)
def _default_value(text: str) -> object:
    text = text.strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    upper = text.upper()
    if upper == "NULL":
        return None
    if upper in ("TRUE", "FALSE"):
        return 1 if upper == "TRUE" else 0
    if sql._is_string_literal(text):
        return text[1:-1].replace("''", "'")
    if sql._NUMBER.fullmatch(text):
        return float(text)
    return ("expr", " ".join(upper.split()))


def find_index(live: Table, index: Index) -> Optional[Index]:
    """The live index that satisfies a declared one: same columns, same uniqueness (or a UNIQUE constraint)."""
    want = [fold(c or "") for c in index.columns]
    for have in live.indexes:
        if have.partial or [fold(c or "\0") for c in have.columns] != want:
            continue
        if have.origin == "c" and have.unique == index.unique:
            return have
        if have.origin in ("u", "pk") and index.unique:
            return have
    return None
