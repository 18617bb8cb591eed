"""What every task does around the checks: find schema.json, run, render, return the exit code."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Optional

from .context import Mode
from .runner import ALL_PARTS, Report, run


def resolve_schema(schema: Optional[str], default_dir: Path, name: str = "schema.json") -> Path:
    """--schema, else $SELFHEAL_SCHEMA, else schema.json (or the configured name) beside tasks.py."""
    chosen = schema or os.environ.get("SELFHEAL_SCHEMA") or str(default_dir / name)
    return Path(chosen).expanduser().absolute()


def execute(title: str, schema_path: Path, mode: Mode, parts: Iterable[str] = ALL_PARTS, *,
            as_json: bool = False, quiet: bool = False, verbose: bool = False, backup: bool = True,
            install: bool = False, node: bool = False, jobs: Optional[int] = None, drift: bool = False,
            only: tuple[str, ...] = (), skip: tuple[str, ...] = ()) -> int:
    """Run, print the report (text or JSON), return 0 / 1 / 2; never lets a traceback out."""

    def work() -> int:
        report = run(schema_path, mode, tuple(parts), backup=backup, install=install, node=node, jobs=jobs,
                     only=only, skip=skip)
        if drift and report.project is not None:
            from .drift import project_drift

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
            from .findings import Finding, Status
            from .report import render_json

            render_json(Report([Finding("internal", "selfheal", Status.ERROR, what,
                                        hint="nothing was left half-done; set SELFHEAL_DEBUG=1 for the traceback "
                                             "and report it")]))
        print(f"selfheal: internal error: {what} (nothing was left half-done; set SELFHEAL_DEBUG=1 for the "
              "traceback and report it)", file=sys.stderr)
        return 1


def show(report: Report, title: str, mode: Mode, *, as_json: bool, quiet: bool, verbose: bool) -> None:
    """Print the report the way the flags ask."""
    from .report import render_json, render_text

    if as_json:
        render_json(report)
    else:
        heading = f"selfheal {title}" + (f" ({mode.value}: nothing will be changed)" if mode is not Mode.HEAL else "")
        render_text(report, heading, quiet=quiet, verbose=verbose, show_actions=mode is Mode.DRY_RUN)


def _server_entry(env_key: str, base: Path, fmt: str) -> tuple[dict[str, Any], list[str]]:
    """schema.snapshot env:NAME: a PostgreSQL database, its URL read from the environment or .env."""
    from .pg.snapshot import snapshot as take
    from .snapshot import SnapshotError

    if fmt != "json":
        raise SnapshotError("--format sql is for SQLite files; a PostgreSQL database is snapshotted as JSON")
    url = os.environ.get(env_key)
    if not url and (base / ".env").is_file():
        from .envfile import parse

        try:
            url = parse(base / ".env").values().get(env_key)
        except OSError as exc:
            raise SnapshotError(f"cannot read {base / '.env'}: {exc.strerror or exc}") from None
    if not url:
        raise SnapshotError(f"{env_key} is not set (in the environment or {base / '.env'})")
    return take(url, env_key)


def snapshot(database: Path, out: Optional[Path], name: Optional[str], base: Path, fmt: str = "json") -> int:
    """schema.snapshot: print the entry (JSON or SQL), or merge it into --out; notes and errors go to stderr.

    DATABASE is an SQLite file, or env:NAME for a PostgreSQL database whose URL NAME holds."""
    import json

    from .snapshot import SnapshotError, entry_name, merge_into, snapshot_sql
    from .snapshot import snapshot as take

    if fmt not in ("json", "sql"):
        print(f"selfheal schema.snapshot: --format takes json or sql, got {fmt!r}", file=sys.stderr)
        return 1
    try:
        if str(database).startswith("env:"):
            entry, notes = _server_entry(str(database)[4:], base, fmt)
            key = name or "main"
        elif fmt == "sql":
            text = snapshot_sql(database.absolute())
            if out is None:
                sys.stdout.write(text)
            else:
                from .safefile import shared_mode, write_private

                write_private(out, text.encode("utf-8"), shared_mode(out))
                print(f"wrote {out}: declare it with \"sql\": {json.dumps(out.name)} in a databases entry",
                      file=sys.stderr)
            return 0
        else:
            entry, notes = take(database.absolute())
            key = entry_name(database, base, name)
        if out is None:
            print(json.dumps({key: entry}, indent=2, ensure_ascii=False))
        else:
            verb = merge_into(out, key, entry)
            print(f"{verb} databases.{json.dumps(key)} in {out} ({len(entry['tables'])} tables)", file=sys.stderr)
    except SnapshotError as exc:
        print(f"selfheal schema.snapshot: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"selfheal schema.snapshot: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    return 0
