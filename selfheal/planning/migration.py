"""A migration a person reviews: per table, its steps, the rows each touches, what changes data and what
the rows refuse; rendered as one SQL file (each engine gives its own opening and closing lines)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Step:
    """One statement, what it does to the rows, and whether it may change or is refused by them."""

    sql: str
    note: str = ""
    changes: str = ""  # values this step changes (a narrower type converts them): marked in the script
    refused: str = ""  # why the rows refuse it: the migration cannot run until they are fixed


@dataclass
class TableMigration:
    """The rebuild of one table, and why."""

    table: str
    rows: int
    reasons: list[str]
    steps: list[Step] = field(default_factory=list)

    @property
    def refused(self) -> list[str]:
        """What the rows refuse, step by step."""
        return [s.refused for s in self.steps if s.refused]


def render_script(label: str, migrations: list[TableMigration], opening: list[str], closing: list[str]) -> str:
    """The migration as an SQL file: every step with its note, what it changes, what refuses it."""
    lines = [f"-- selfheal migrate: {label}", "-- review it; `migrate --apply` runs it in one transaction, "
             "with row counts verified", *opening]
    for m in migrations:
        lines.append(f"\n-- table {m.table} ({m.rows:,} rows): " + "; ".join(m.reasons))
        for step in m.steps:
            if step.note:
                lines.append(f"-- {step.note}")
            if step.changes:
                lines.append(f"-- CHANGES DATA: {step.changes}")
            if step.refused:
                lines.append(f"-- REFUSED until fixed: {step.refused}")
            lines.append(step.sql.rstrip(";") + ";")
    return "\n".join([*lines, *closing]) + "\n"
