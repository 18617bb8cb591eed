"""Planning what a table or database holds besides columns: indexes, seed rows, views and triggers."""

from __future__ import annotations

from typing import Optional

from selfheal.findings import Finding, Status
from selfheal.model import Database, Literal, Table, fold
from selfheal.planning import sql
from selfheal.planning.base import SQLITE, Capabilities, Plan, free_name
from selfheal.planning.compare import find_index
from selfheal.planning.facts import Facts, clash_key
from selfheal.planning.ops import CreateIndex, CreateTrigger, CreateView, InsertRows, Op


def plan_views_and_triggers(desired: Database, actual: Optional[Database], label: str,
                             live_names: frozenset[str], result: Plan) -> None:
    """Missing views and triggers created; one whose definition differs replaced (they hold no data)."""
    live_views = {fold(n): text for n, text in actual.views} if actual else {}
    live_triggers = {fold(n): text for n, text in actual.triggers} if actual else {}
    for name, select in desired.views:
        have = live_views.get(fold(name))
        if have is None and fold(name) in live_names:
            result.findings.append(name_taken("db.view", f"{label}:{name}", "view", name))
        elif have is None or not sql.same_sql(sql.view_select(have), sql.view_body(select)):
            result.ops.append(CreateView(name, select, replaces=have))
    for name, text in desired.triggers:
        have = live_triggers.get(fold(name))
        if have is None and fold(name) in live_names:
            result.findings.append(name_taken("db.trigger", f"{label}:{name}", "trigger", name))
        elif have is None or not sql.same_sql(have, text):
            result.ops.append(CreateTrigger(name, text, replaces=have))


def name_taken(check: str, target: str, kind: str, name: str) -> Finding:
    return Finding(check, target, Status.ERROR, f"cannot create the {kind}: another object named {name} exists",
                   hint=f"rename the {kind} in schema.json, or the other object by hand")


def plan_rows(table: Table, live: Table, added: set[str], facts: Facts, label: str, result: Plan) -> list[Op]:
    """Seed rows: the missing ones inserted (when every column they name will exist); differing ones a warning."""
    if not table.rows:
        return []
    missing = []
    for row in table.rows:
        values = dict(row)
        key = tuple(values[c] for c in table.primary_key)
        shown = ",".join(f"{c}={v}" for c, v in zip(table.primary_key, key, strict=True))
        target = f"{label}:{live.name}[{shown}]"
        found = facts.seed_rows.get((fold(live.name), key))
        if found is None:
            absent = [c for c, _ in row if live.column(c) is None and fold(c) not in added]
            if absent:
                result.findings.append(Finding("db.row", target, Status.ERROR,
                                               f"seed row cannot be inserted: column {', '.join(absent)} is missing",
                                               hint="resolve the column's error first, then heal again"))
            else:
                missing.append(row)
            continue
        differing = [(c, v, found.get(fold(c))) for c, v in row if fold(c) in found
                     and not same_value(v, found[fold(c)])]
        if differing:
            text = "; ".join(f"{c} is {have!r}, declared {want!r}" for c, want, have in differing)
            result.findings.append(Finding("db.row", target, Status.WARNING, f"seed row differs: {text}",
                                           hint="selfheal never updates rows: change it by hand or update "
                                                "schema.json"))
    return [InsertRows(live.name, table.primary_key, tuple(missing))] if missing else []


def same_value(declared: Literal, live: Literal) -> bool:
    """Compare a JSON value with what SQLite returned (true is 1; 5 in a TEXT column is '5')."""
    want = int(declared) if isinstance(declared, bool) else declared
    return want == live or (want is not None and live is not None and str(want) == str(live))


def plan_indexes(table: Table, live: Optional[Table], facts: Facts, label: str, taken: set[str],
                  live_names: frozenset[str], result: Plan, added: frozenset[str] | set[str] = frozenset(),
                  engine: Capabilities = SQLITE) -> None:
    table_name = live.name if live else table.name
    matched: set[str] = set()
    for index in table.indexes:
        base = index.name or sql.default_index_name(table.name, index.columns)
        target = f"{label}:{table_name}#{base}"
        if (index.sql or index.where or index.terms) and live is not None:  # matched by name
            same_name = next((i for i in live.indexes if fold(i.name or "") == fold(base)), None)
            if same_name is not None:
                matched.add(fold(base))
                declared_sql = sql.create_index(table_name, index, base)
                if engine.live_sql and sql.normalized(same_name.sql or "") != sql.normalized(declared_sql):
                    result.findings.append(Finding(
                        "db.index", target, Status.WARNING,
                        f"differs from its declaration (left as it is): is {same_name.sql}, declared {declared_sql}",
                        hint="indexes are never rebuilt: drop it by hand to have it created as declared"))
                continue
        found = find_index(live, index) if live and not index.partial and not index.terms else None
        if found is not None:
            matched.add(fold(found.name or ""))
            continue
        absent = [c for c in index.columns
                  if c is not None and live and live.column(c) is None and fold(c) not in added]
        if absent:
            # never index a missing column: SQLite would index the string constant "name" instead
            result.findings.append(Finding(
                "db.index", target, Status.ERROR, f"cannot create the index: column {', '.join(map(str, absent))} "
                "is missing and cannot be added", hint="resolve the column's error first, then heal again"))
            continue
        if index.name and fold(index.name) in live_names:
            result.findings.append(Finding(
                "db.index", target, Status.ERROR,
                f"cannot create index {index.name}: another object of that name exists with other columns",
                hint="rename the index in schema.json or drop the other object by hand"))
            continue
        key = clash_key(table, live, index) if live is not None else None
        clashing = facts.clashes.get(key, 0) if key is not None else 0
        if clashing:
            shown = ", ".join(c or "" for c in index.columns)
            result.findings.append(Finding(
                "db.index", target, Status.ERROR, f"unique index blocked: {clashing} rows share a value of ({shown})"
                + (" once the new columns hold their default" if len(key[1]) < len(index.columns) else ""),  # type: ignore[index]
                hint="remove or fix the duplicate rows (or declare no default for a new column), then heal again"))
            continue
        name = index.name if index.name else free_name(base, taken)
        result.ops.append(CreateIndex(table_name, index, name))
    if live is None:
        return
    for have in live.indexes:
        if have.origin == "c" and fold(have.name or "") not in matched:
            result.findings.append(Finding("db.index", f"{label}:{live.name}#{have.name}", Status.OK,
                                           "exists but is not declared (left untouched)", notable=True))
