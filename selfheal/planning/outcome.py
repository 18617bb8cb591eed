"""What a planned or applied database adds up to, as findings: one per object created or to create."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Optional

from selfheal.findings import Finding, Status, command, plural
from selfheal.model import Database, fold
from selfheal.planning.ops import (
    AddColumn,
    AddColumnsInBulk,
    CreateTable,
    CreateTrigger,
    CreateView,
    InsertRows,
    Op,
    RebuildTable,
    RebuildTablesInBulk,
    RenameColumn,
    RenameTable,
    op_table,
    op_tables,
    op_targets,
)
from selfheal.planning.plan import Plan


def _op_findings(label: str, ops: list[Op], healed: bool,
                 render: Optional[Callable[[Op], list[str]]] = None) -> list[Finding]:
    """One finding per created object; a rebuild gives one per added column, the first carrying the SQL."""
    out = []
    for op in ops:
        action = ";\n".join(render(op) if render else op.statements())
        targets = op_targets(label, op)
        added, described = _added(op), op.describe() if healed else ""
        for i, target in enumerate(targets):
            step = action if i == 0 else f"(in the {_kind(op)} of {label}:{op_table(op)} above)"
            if healed:
                message = described
                if isinstance(op, (RebuildTable, RebuildTablesInBulk)):
                    message = f"added column {added[i]} (table rebuilt: rows, indexes and triggers kept)"
                elif isinstance(op, AddColumnsInBulk):
                    message = f"added column {added[i]} (one schema update for {len(targets)} columns)"
                elif isinstance(op, InsertRows):
                    message = "inserted seed row"
                out.append(Finding(op.check, target, Status.HEALED, message, action=step))
            else:
                out.append(Finding(op.check, target, Status.ERROR, _would(op),
                                   hint=f"run {command('heal.db')} to apply it", action=step))
    return out


def _added(op: Op) -> list[str]:
    """The names of the columns a rebuild or a bulk addition adds, in the order of its targets."""
    if isinstance(op, RebuildTable):
        return [c.name for c in op.new_columns]
    if isinstance(op, RebuildTablesInBulk):
        return [c.name for r in op.rebuilds for c in r.new_columns]
    if isinstance(op, AddColumnsInBulk):
        return [c.name for _, cols in op.tables for c in cols]
    return []


def _kind(op: Op) -> str:
    if isinstance(op, (RebuildTable, RebuildTablesInBulk)):
        return "rebuild"
    return "inserts" if isinstance(op, InsertRows) else "schema update"


def _would(op: Op) -> str:
    if isinstance(op, CreateTable):
        return "table is missing (heal would create it)"
    if isinstance(op, (RenameTable, RenameColumn)):
        kind, kept = ("table", "rows") if isinstance(op, RenameTable) else ("column", "values")
        return f"{kind} is named {op.old} in the database (heal would rename it, {kept} kept)"
    if isinstance(op, InsertRows):
        return "seed row is missing (heal would insert it)"
    if isinstance(op, (CreateView, CreateTrigger)):
        kind = "view" if isinstance(op, CreateView) else "trigger"
        if op.replaces:
            return f"{kind} differs from schema.json (heal would replace it)"
        return f"{kind} is missing (heal would create it)"
    if isinstance(op, (AddColumn, AddColumnsInBulk, RebuildTable, RebuildTablesInBulk)):
        how = " by rebuilding the table" if isinstance(op, (RebuildTable, RebuildTablesInBulk)) else ""
        return f"column is missing (heal would add it{how})"
    return "index is missing (heal would create it)"


def report_plan(desired: Database, label: str, the_plan: Plan, healed: bool, created: bool = False,
                render: Optional[Callable[[Op], list[str]]] = None) -> list[Finding]:
    """The findings of one planned (or applied) database: file, tables as declared, operations, the rest."""
    out = []
    if created:
        out.append(Finding("db.file", label, Status.HEALED,
                           f"created database ({plural(len(desired.tables), 'table')})", action="create file"))
    elif the_plan.create_file:
        out.append(Finding("db.file", label, Status.ERROR, "database file is missing (heal would create it)",
                           hint=f"run {command('heal.db')} to create it", action="create file"))
    else:
        out.append(Finding("db.file", label, Status.OK, "present and readable"))
    changed_tables = {fold(name) for op in the_plan.ops for name in op_tables(op)}
    for table in desired.tables:
        if fold(table.name) not in changed_tables:
            out.append(Finding("db.table", f"{label}:{table.name}", Status.OK,
                               f"{plural(len(table.columns), 'column')}, "
                               f"{plural(len(table.indexes), 'index', 'indexes')} as declared"))
    out.extend(_op_findings(label, the_plan.ops, healed, render))
    out.extend(the_plan.findings)
    return _name_the_declaration(desired, label, out)


def _name_the_declaration(desired: Database, label: str, findings: list[Finding]) -> list[Finding]:
    """The planner says "schema.json"; a table declared in an SQL file, or a declaration in another file
    (schema.postgres.json), is named as it is."""
    sources = {fold(t.name): t.source for t in desired.tables if t.source}
    if not sources and desired.declared_in == "schema.json":
        return findings
    out = []
    for finding in findings:
        table = finding.target[len(label) + 1:].split(".")[0].split("#")[0] if finding.target.startswith(
            label + ":") else ""
        name = sources.get(fold(table)) or desired.declared_in
        if name != "schema.json" and "schema.json" in finding.message + finding.hint:
            finding = replace(finding, message=finding.message.replace("schema.json", name),
                              hint=finding.hint.replace("schema.json", name))
        out.append(finding)
    return out


