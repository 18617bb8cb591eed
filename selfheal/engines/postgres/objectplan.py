"""What heal does for the objects beside the tables: create the missing ones, replace functions and
triggers that differ (they hold no data), add enum labels; report what it would lose data to change."""

from __future__ import annotations

from dataclasses import dataclass, field

from selfheal.engines.postgres.objects import by_name, comment_sql, enum_sql
from selfheal.engines.postgres.scratch import BEFORE_TABLES, CHECKS, creating
from selfheal.findings import Finding, Status, command, plural
from selfheal.model import SchemaObject, fold
from selfheal.planning.differences import Difference
from selfheal.planning.sql import quote_ident, quote_literal

_REPLACEABLE = ("function", "trigger", "comment")


@dataclass(frozen=True)
class Step:
    """One object created or changed: its check, target, what it does, and its statements."""

    check: str
    target: str
    would: str
    done: str
    statements: tuple[str, ...]
    before_tables: bool
    replaces: str = ""  # the definition a replacement takes the place of (kept in the audit trail)


@dataclass
class ObjectPlan:
    """The steps for the objects beside the tables, and findings that need no step (as declared, drift)."""

    steps: list[Step] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def report(self, tables: list[Finding], healed: bool, namespace: str) -> list[Finding]:
        """A finding per step (healed, or what heal would do, with its SQL) in the order they run, the
        tables' findings where the tables are healed; then the rest."""
        def finding(step: Step) -> Finding:
            action = ";\n".join((f"SET search_path TO {quote_ident(namespace)}", *step.statements))
            if healed:
                was = f"\n-- replaced: {step.replaces}" if step.replaces else ""
                return Finding(step.check, step.target, Status.HEALED, step.done, action=action + was)
            return Finding(step.check, step.target, Status.ERROR, step.would,
                           hint=f"run {command('heal.db')} to apply it", action=action)

        before = [finding(s) for s in self.steps if s.before_tables]
        after = [finding(s) for s in self.steps if not s.before_tables]
        return before + tables + after + self.findings


def plan_objects(declared: list[SchemaObject], live: list[SchemaObject], label: str,
                 tables: dict[str, str], late: frozenset[str] | set[str] = frozenset()) -> ObjectPlan:
    """Declared (as the server reads it) against live; `tables`: folded table name → name, for comments;
    `late`: keys of functions created after the tables (their signatures name a table's row type)."""
    have = by_name(live)
    result = ObjectPlan()
    same: dict[str, int] = {}
    for obj in declared:
        target = f"{label}:{obj.key}"
        now = have.get((obj.group, obj.name))
        kind = "enum type" if obj.kind == "enum" else obj.kind
        if now is None:
            statement = comment_sql(obj.name, obj.sql, tables) if obj.kind == "comment" else creating(obj)
            result.steps.append(Step(CHECKS[obj.kind], target, f"{kind} is missing (heal would create it)",
                                     f"created {kind} {obj.key}" if obj.kind != "comment" else "set the comment",
                                     (statement,), obj.kind in BEFORE_TABLES and obj.key not in late))
        elif obj.kind == "extension" or (now.kind == obj.kind and now.sql == obj.sql and now.items == obj.items):
            same[obj.kind] = same.get(obj.kind, 0) + 1
        elif obj.kind == "enum" and now.kind == "enum":
            _enum_labels(obj, now, target, result)
        elif obj.kind in _REPLACEABLE:
            statements = _replacing(obj, tables)
            result.steps.append(Step(CHECKS[obj.kind], target, f"{kind} differs from schema.json (heal would "
                                     "replace it)", f"replaced {kind} {obj.key}", statements,
                                     obj.kind in BEFORE_TABLES and obj.key not in late, replaces=now.sql))
        else:
            result.findings.append(Finding(
                CHECKS[obj.kind], target, Status.WARNING,
                f"differs from its declaration (left as it is): is {_shown(now)}, declared {_shown(obj)}",
                hint=f"heal never changes a {now.kind} (values may depend on it): change it by hand, or update "
                     "schema.json"))
    for kind, count in same.items():
        result.findings.append(Finding(CHECKS[kind], label, Status.OK,
                                       f"{plural(count, 'extension' if kind == 'extension' else kind)} as declared"))
    return result


def _replacing(obj: SchemaObject, tables: dict[str, str]) -> tuple[str, ...]:
    """A function replaced in place (CREATE OR REPLACE), a trigger dropped and created again, a comment set."""
    if obj.kind == "comment":
        return (comment_sql(obj.name, obj.sql, tables),)
    if obj.kind == "trigger":
        table, _, name = obj.name.rpartition(".")
        return (f"DROP TRIGGER {quote_ident(name)} ON {quote_ident(table)}", obj.sql)
    return (obj.sql,)  # the server writes a function as CREATE OR REPLACE


def _enum_labels(obj: SchemaObject, now: SchemaObject, target: str, result: ObjectPlan) -> None:
    """New labels added where declared; a label gone or moved is drift (rows may hold it)."""
    order = [label for label in obj.items if label in now.items]
    if order != list(now.items):
        gone = [label for label in now.items if label not in obj.items]
        said = f"labels {', '.join(gone)} are not declared" if gone else "its labels are in another order"
        result.findings.append(Finding(
            CHECKS["enum"], target, Status.WARNING,
            f"differs from its declaration (left as it is): {said} (is {enum_sql(now.name, now.items)})",
            hint="heal never removes or reorders enum labels (rows may hold them): declare them again, or change "
                 "the type by hand"))
        return
    statements, present = [], set(now.items)
    for i, label in enumerate(obj.items):  # in declared order: each new label after the one before it
        if label in present:
            continue
        after = obj.items[i - 1] if i else None
        where = f" AFTER {quote_literal(after)}" if after is not None else f" BEFORE {quote_literal(now.items[0])}"
        statements.append(f"ALTER TYPE {quote_ident(obj.name)} ADD VALUE {quote_literal(label)}{where}")
        present.add(label)
    result.steps.append(Step(CHECKS["enum"], target, f"enum type lacks {plural(len(statements), 'label')} "
                             "(heal would add them)", f"added {plural(len(statements), 'label')} to {obj.name}",
                             tuple(statements), True))


def _shown(obj: SchemaObject) -> str:
    return " ".join(obj.sql.split()) if obj.sql else obj.kind


def object_differences(declared: list[SchemaObject], live: list[SchemaObject], label: str) -> list[Difference]:
    """The drift rows of the objects: missing, or differing (as the server writes both)."""
    have = by_name(live)
    out = []
    for obj in declared:
        now = have.get((obj.group, obj.name))
        where = f"{label}:{obj.key}"
        if now is None:
            out.append(Difference(where, obj.kind, "declared", "missing"))
        elif obj.kind != "extension" and (now.sql, now.items) != (obj.sql, obj.items):
            out.append(Difference(where, obj.kind, _shown(obj) if obj.kind != "enum" else ", ".join(obj.items),
                                  _shown(now) if now.kind != "enum" else ", ".join(now.items)))
    return out


def table_names(names: list[str]) -> dict[str, str]:
    """Folded table name → name, for the comments' targets."""
    return {fold(n): n for n in names}
