"""Indexes of a declared table: columns by name, or expressions with a collation and DESC."""

from __future__ import annotations

import json
from typing import Any, Optional

from selfheal.declare.collect import Collector
from selfheal.declare.document import PathPart
from selfheal.model import Index, fold
from selfheal.planning.sql import quote_ident


class IndexesBuilder(Collector):
    """Builds Index models."""

    def index(self, spec: dict[str, Any], declared: dict[str, str], table: str, parts: list[PathPart]) -> Index:
        """One declared index: columns by name, or objects with an expression, a collation, DESC."""
        names: list[Optional[str]] = []
        terms: list[str] = []
        fancy = False  # an expression, COLLATE or DESC: rendered from terms, matched by name
        for j, entry in enumerate(spec["columns"]):
            if isinstance(entry, str):  # the common case, without building an object for it
                col, sql_term, extra = entry, None, ""
            elif ("column" in entry) == ("sql" in entry):
                self.problem(parts + ["columns", j], "give either \"column\" or \"sql\"")
                continue
            else:
                col, sql_term = entry.get("column"), entry.get("sql")
                extra = (f" COLLATE {entry['collate']}" if "collate" in entry else "") + (
                    f" {entry['opclass']}" if "opclass" in entry else "") + (" DESC" if entry.get("desc") else "")
                fancy = fancy or sql_term is not None or bool(extra)
            if col is not None:
                have = declared.get(fold(col))
                if have is None:
                    self.problem(parts + ["columns"], f"index column {json.dumps(col)} is not declared "
                                 f"in table {json.dumps(table)}")
                names.append(col if have is None else have)
                terms.append(quote_ident(names[-1] or "") + extra)
            else:
                names.append(None)
                self.expression(sql_term, parts + ["columns", j, "sql"])
                terms.append(str(sql_term).strip() + extra)
        plain = [n for n in names if n is not None]
        if len({fold(c) for c in plain}) != len(plain):
            self.problem(parts + ["columns"], "a column is listed twice")
        if spec.get("name"):
            self.reserved(spec["name"], parts + ["name"], "index")
        if spec.get("where"):
            self.expression(spec["where"], parts + ["where"])
        if spec.get("where") and not spec.get("name"):
            self.problem(parts, "a partial index (\"where\") needs a \"name\"")
        elif fancy and not spec.get("name"):
            self.problem(parts, "an index with \"sql\", \"collate\" or \"desc\" needs a \"name\"")
        include = tuple(self.column_list(spec["include"], declared, table, parts + ["include"])
                        if "include" in spec else ())
        for key in ("using", "include", "nulls_not_distinct", "with"):
            if key in spec and self.rules.name != "postgres":
                self.problem(parts + [key], "is PostgreSQL's: an SQLite index has one method, no INCLUDE, no "
                             "storage parameters, and its NULLs never clash")
        if spec.get("nulls_not_distinct") and not spec.get("unique"):
            self.problem(parts + ["nulls_not_distinct"], "is for a unique index (\"unique\": true)")
        storage = tuple((k, str(v).lower() if isinstance(v, bool) else str(v)) for k, v in spec.get("with", {}).items())
        return Index(columns=tuple(names), where=spec.get("where", ""), partial=bool(spec.get("where")),
                     unique=bool(spec.get("unique", False)), name=spec.get("name"),
                     terms=tuple(terms) if fancy else (), using=spec.get("using", ""), include=include,
                     nulls_not_distinct=bool(spec.get("nulls_not_distinct")), storage=storage)
