"""invoke up: validate, heal if needed, decide on warnings, then start the app with .env loaded."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from selfheal.cli import show
from selfheal.context import Mode
from selfheal.findings import Status
from selfheal.model import AppSpec, Project
from selfheal.runner import ALL_PARTS, Report, run
from selfheal.safety.lock import LOCK_HINT


def say(message: str) -> None:
    """A launcher message (stderr, so stdout stays the report's and the app's)."""
    print(f"selfheal up: {message}", file=sys.stderr, flush=True)


def up(schema_path: Path, *, yes: bool = False, strict: bool = False, no_start: bool = False,
       app_args: Sequence[str] = (), quiet: bool = False, verbose: bool = False, only: tuple[str, ...] = (),
       skip: tuple[str, ...] = ()) -> int:
    """The whole start-up flow; returns 1 when it stops on errors, else the app's exit code."""
    report = run(schema_path, Mode.HEAL, ALL_PARTS, only=only, skip=skip)
    show(report, "up: validate", Mode.HEAL, as_json=False, quiet=quiet, verbose=verbose)
    if report.exit_code == 1 and any(f.hint == LOCK_HINT for f in report.findings):
        say("not starting the app: another selfheal run holds the project lock (waited once, see above)")
        return 1
    if report.exit_code == 1:
        # validate already healed what heal would: this pass re-checks, and retries what a lock got in the way of
        say("errors remain after validation; healing and validating again")
        before = _errors(report)
        report = run(schema_path, Mode.HEAL, ALL_PARTS, only=only, skip=skip)
        if _errors(report) == before:  # nothing changed: the report above says it all, once
            say(f"the same {len(before)} error{'s' if len(before) != 1 else ''} remain (shown above)")
        else:
            show(report, "up: re-validate", Mode.HEAL, as_json=False, quiet=True, verbose=False)
        if report.exit_code == 1:
            say("not starting the app: the errors above need a person (each says what to do)")
            return 1
    if report.exit_code == 2 and not _accept_warnings(strict, yes):
        return 1 if strict else 2
    if no_start:
        say("checks done; not starting the app (--no-start)")
        return report.exit_code
    project = report.project
    if project is None or project.app is None:
        say("no \"app\" command in schema.json: nothing to start")
        return report.exit_code
    return start_app(project, project.app, app_args)


def _errors(report: Report) -> set[tuple[str, str, str]]:
    return {(f.check, f.target, f.message) for f in report.findings if f.status is Status.ERROR}


def _accept_warnings(strict: bool, yes: bool) -> bool:
    if strict:
        say("warnings are treated as errors (--strict): not starting the app")
        return False
    if yes:
        say("continuing despite the warnings above (--yes)")
        return True
    if not sys.stdin.isatty():
        say("continuing despite the warnings above (no terminal to ask; use --strict to stop instead)")
        return True
    try:
        answer = input("Continue? [y/N] ")
    except EOFError:
        answer = ""
    if answer.strip().lower() in ("y", "yes"):
        return True
    say("not starting the app (answered no)")
    return False


def app_argv(app: AppSpec, extra: Sequence[str]) -> list[str]:
    """The app's argv: a list as given, a string split like a shell; `python` means this interpreter."""
    argv = list(app.command) if isinstance(app.command, tuple) else shlex.split(app.command, posix=os.name != "nt")
    if argv and argv[0] in ("python", "python3"):
        argv[0] = sys.executable
    return argv + list(extra)


def app_environment(project: Project) -> dict[str, str]:
    """The process environment plus .env's values (never overriding a variable already set)."""
    env = dict(os.environ)
    if project.env is None:
        return env
    path = project.root / project.env.file
    if path.is_file():
        from dotenv import dotenv_values

        for key, value in dotenv_values(path, interpolate=False).items():
            if value is not None and key not in env:
                env[key] = value
    return env


def start_app(project: Project, app: AppSpec, extra: Sequence[str]) -> int:
    """Start the app in its folder: exec on POSIX (signals reach it), a child process elsewhere."""
    argv = app_argv(app, extra)
    cwd = (project.root / app.cwd).resolve()
    if not cwd.is_dir():
        say(f"cannot start the app: its folder {app.cwd!r} (app.cwd in schema.json) does not exist")
        return 1
    env = app_environment(project)
    say(f"starting {shlex.join(argv)} in {cwd}")
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        try:
            os.chdir(cwd)
            os.execvpe(argv[0], argv, env)
        except OSError as exc:
            say(f"cannot start {argv[0]}: {exc.strerror or exc}")
            return 127
    try:
        child = subprocess.Popen(argv, cwd=cwd, env=env)
    except OSError as exc:
        say(f"cannot start {argv[0]}: {exc.strerror or exc}")
        return 127
    while True:
        try:
            return child.wait()
        except KeyboardInterrupt:
            # the console delivers Ctrl-C to the child too; wait for it to finish on its own terms
            continue
