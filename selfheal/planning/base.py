"""What a plan is (operations and findings), what the planner must know of an engine, and fresh names."""

from __future__ import annotations

from dataclasses import dataclass, field

from selfheal.findings import Finding
from selfheal.model import fold
from selfheal.planning.ops import Op


@dataclass
class Plan:
    """Operations to run in one transaction, and findings about what will not be changed."""

    ops: list[Op] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    create_file: bool = False


@dataclass(frozen=True)
class Capabilities:
    """What the planner must know about a database engine's DDL; everything else it plans alike.
    The defaults are SQLite's (each engine passes its own, see selfheal.engines)."""

    alter_adds_any_column: bool = False  # ADD COLUMN takes UNIQUE, PRIMARY KEY, any default: no rebuilds
    live_sql: bool = True  # the catalogue gives each object's SQL as written: constraints compare by its text
    bulk_add_columns: bool = True  # many ADD COLUMNs may be folded into one edit of the schema table


SQLITE = Capabilities()


def free_name(base: str, taken: set[str]) -> str:
    """`base`, or `base_2`, `base_3` … whichever no object has; taken from then on."""
    name, n = base, 2
    while fold(name) in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(fold(name))
    return name
