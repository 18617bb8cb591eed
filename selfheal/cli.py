"""What every task does around the checks: find schema.json, run, render, return the exit code."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Optional

from selfheal.context import Mode
from selfheal.runner import ALL_PARTS, Report, run
from selfheal.text import printable


def resolve_schema(schema: Optional[str], default_dir: Path, name: str = "schema.json",
                   search_up: bool = False) -> Path:
    """--schema, else $SELFHEAL_SCHEMA, else schema.json (or the configured name) in default_dir (beside
    tasks.py); with search_up (the selfheal command, run in a subfolder), the nearest one above it."""
    chosen = schema or os.environ.get("SELFHEAL_SCHEMA")
    if chosen:
        return Path(chosen).expanduser().absolute()
    if search_up:
        found = nearest(default_dir.absolute(), name)
        if found is not None:
            return found
    return (default_dir / name).absolute()


def nearest(folder: Path, name: str = "schema.json") -> Optional[Path]:
    """The file `name` in folder or the nearest folder above it, if any."""
    for candidate in (folder, *folder.parents):
        if (candidate / name).is_file():
            return candidate / name
    return None


def execute(title: str, schema_path: Path, mode: Mode, parts: Iterable[str] = ALL_PARTS, *,
            as_json: bool = False, quiet: bool = False, verbose: bool = False, backup: bool = True,
            install: bool = False, node: bool = False, jobs: Optional[int] = None, drift: bool = False,
            only: tuple[str, ...] = (), skip: tuple[str, ...] = ()) -> int:
    """Run, print the report (text or JSON), return 0 / 1 / 2; never lets a traceback out."""

    def work() -> int:
        report = run(schema_path, mode, tuple(parts), backup=backup, install=install, node=node, jobs=jobs,
                     only=only, skip=skip)
        if drift and report.project is not None:
            from selfheal.drift import project_drift

            report.drift = project_drift(report.project)
        show(report, title, mode, as_json=as_json, quiet=quiet, verbose=verbose)
        return report.exit_code

    return guarded(work, as_json=as_json)


def tokens(value: Optional[str]) -> tuple[str, ...]:
    """--only / --skip: comma-separated parts or check ids."""
    return tuple(t.strip() for t in (value or "").split(",") if t.strip())


def guarded(work: Callable[[], int], as_json: bool = False) -> int:
    """Run a task's work; Ctrl-C and unforeseen errors end in one clear message and an exit code.

    Under --json an unforeseen error is still exactly one JSON document on stdout (check `internal`)."""
    try:
        return work()
    except KeyboardInterrupt:
        print("interrupted: every database is as before or fully healed", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not a foreseeable problem: say so plainly
        if os.environ.get("SELFHEAL_DEBUG"):
            traceback.print_exc()
        what = f"{type(exc).__name__}: {exc}"
        if as_json:
            from selfheal.findings import Finding, Status
            from selfheal.report import render_json

            render_json(Report([Finding("internal", "selfheal", Status.ERROR, what,
                                        hint="nothing was left half-done; set SELFHEAL_DEBUG=1 for the traceback "
                                             "and report it")]))
        print(f"selfheal: internal error: {printable(what)} (nothing was left half-done; set SELFHEAL_DEBUG=1 for the "
              "traceback and report it)", file=sys.stderr)
        return 1


def show(report: Report, title: str, mode: Mode, *, as_json: bool, quiet: bool, verbose: bool) -> None:
    """Print the report the way the flags ask."""
    from selfheal.report import render_json, render_text

    if as_json:
        render_json(report)
    else:
        heading = f"selfheal {title}" + (f" ({mode.value}: nothing will be changed)" if mode is not Mode.HEAL else "")
        render_text(report, heading, quiet=quiet, verbose=verbose, show_actions=mode is Mode.DRY_RUN)


def snapshot(database: Path, out: Optional[Path], name: Optional[str], base: Path, fmt: str = "json",
             namespace: Optional[str] = None) -> int:
    """schema.snapshot: print the entry (JSON or SQL), or merge it into --out; notes and errors go to stderr.

    DATABASE is an SQLite file, or env:NAME for a PostgreSQL database whose URL NAME holds."""
    import json

    from selfheal import engines
    from selfheal.declare.writer import merge_into
    from selfheal.errors import SnapshotError

    if fmt not in ("json", "sql"):
        print(f"selfheal schema.snapshot: --format takes json or sql, got {fmt!r}", file=sys.stderr)
        return 1
    try:
        server = str(database).startswith("env:")
        if namespace and not server:
            raise SnapshotError("--namespace is for a PostgreSQL database (env:NAME); an SQLite file has none")
        engine = engines.get("postgres" if server else "sqlite")
        if fmt == "sql":
            text = engine.snapshot_sql(str(database), base)
            if out is None:
                sys.stdout.write(text)
            else:
                from selfheal.safety.safefile import shared_mode, write_private

                write_private(out, text.encode("utf-8"), shared_mode(out))
                declared = Path(os.path.relpath(out.absolute(), base)).as_posix()
                print(f"wrote {out}: declare it with \"sql\": {json.dumps(declared)} in a databases entry of the "
                      f"schema.json in {base}", file=sys.stderr)
            return 0
        entries, notes = _snapshot_entries(engine, database, base, name, namespace)
        if out is None:
            print(json.dumps(entries, indent=2, ensure_ascii=False))
        else:
            for key, entry in entries.items():
                verb = merge_into(out, key, entry)
                print(f"{verb} databases.{json.dumps(key)} in {out} ({len(entry['tables'])} tables)",
                      file=sys.stderr)
    except SnapshotError as exc:
        print(f"selfheal schema.snapshot: {printable(str(exc))}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"selfheal schema.snapshot: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    for note in notes:
        print(f"note: {printable(note)}", file=sys.stderr)
    return 0


def _snapshot_entries(engine: Any, database: Path, base: Path, name: Optional[str], namespace: Optional[str]
                      ) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The schema.json entries of a snapshot (a PostgreSQL database: one per namespace of `a,b` or `all`,
    each keyed by its namespace), and the notes."""
    from selfheal.declare.writer import database_entry, entry_name
    from selfheal.errors import SnapshotError

    server = str(database).startswith("env:")
    chosen: list[Optional[str]] = [n.strip() for n in namespace.split(",") if n.strip()] if namespace else [None]
    if chosen == ["all"]:
        chosen = list(engine.namespaces(str(database), base))
        if not chosen:
            raise SnapshotError(f"no namespace of {database} holds a table")
    if len(chosen) > 1 and name:
        raise SnapshotError("--name keys one entry; a snapshot of several namespaces keys each by its namespace")
    entries: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    for space in chosen:
        live, said = engine.snapshot(str(database), base, space or "public")
        notes += [f"{space}: {note}" for note in said] if len(chosen) > 1 else said
        entry = database_entry(live, notes)
        if server:
            entry = {"url": f"env:{live.url_env}", **({"schema": space} if space and space != "public" else {}),
                     **entry}
        entries[(name or space or "main") if server else entry_name(database, base, name)] = entry
    return entries, notes


def list_checks(schema_path: Path, as_json: bool = False) -> int:
    """`checks`: every part and check id, built in and the project's own (its checks are loaded, not run)."""
    import json

    from selfheal.checkids import ALWAYS, BUILT_IN, PARTS
    from selfheal.context import RunContext
    from selfheal.runner import load_project, project_checks

    project, problems = load_project(schema_path, remember=False)
    own: list[tuple[str, str]] = []
    if project is not None:
        ctx = RunContext(project, Mode.CHECK)
        try:
            found, problems = project_checks(ctx)
        finally:
            ctx.close()
        own = [(c.id, _source_of(c.function.__module__, project.root)) for c in found]
    if as_json:
        print(json.dumps({"parts": PARTS, "built_in": BUILT_IN, "always_shown": ALWAYS,
                          "project": {check_id: module for check_id, module in own},
                          "problems": [f.to_json() for f in problems]}, indent=2))
        return 1 if problems else 0
    sections = [("Parts", PARTS), ("Built-in checks", BUILT_IN),
                ("Project checks (schema.json \"checks\", installed plugins)", dict(own) or {"(none)": ""}),
                ("Always shown", ALWAYS)]
    print("--only / --skip take a part, a check id, or a dotted prefix of one (db.column, app).")
    for title, entries in sections:
        print(f"\n{title}:")
        width = max(len(k) for k in entries)
        for key, words in entries.items():
            print(f"  {printable(key):<{width}}  {printable(words)}".rstrip())
    for problem in problems:
        print(f"\n{problem.check} {printable(problem.target)}: {printable(problem.message)}", file=sys.stderr)
    return 1 if problems else 0


def _source_of(module: str, root: Path) -> str:
    """Where a check is defined: its file relative to the project, else its module's name."""
    path = getattr(sys.modules.get(module), "__file__", None)
    if not path:
        return module
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return module


def migrate(schema_path: Path, out: Optional[Path], run: bool, as_json: bool = False) -> int:
    """`migrate`: the reviewable script (stdout, or --out) and what it would do; with --apply, run it."""
    from selfheal.context import RunContext
    from selfheal.engines import engine_for
    from selfheal.runner import load_project

    mode = Mode.HEAL if run else Mode.CHECK
    project, problems = load_project(schema_path, remember=False)
    if project is None:
        show(Report(problems), "migrate", mode, as_json=as_json, quiet=False, verbose=False)
        return 1
    ctx = RunContext(project, mode)
    texts, findings = [], []
    try:
        for db in project.databases:
            text, found = engine_for(db).migrate(ctx, db, run)
            texts.append(text)
            findings.extend(found)
    finally:
        ctx.close()
    script = "\n".join(t for t in texts if t)
    if out is not None and script:
        from selfheal.safety.safefile import shared_mode, write_private

        write_private(out, script.encode("utf-8"), shared_mode(out))
    elif script and not run and not as_json:
        sys.stdout.write(script)
    report = Report(findings, project)
    if as_json:
        from selfheal.report import render_json

        render_json(report)
    else:
        from selfheal.report import render_text

        title = "selfheal migrate" + ("" if run else " (read-only: the script is printed, nothing runs)")
        render_text(report, title, out=sys.stderr if script and not run and out is None else None)
    return report.exit_code
