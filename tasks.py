"""Invoke tasks of selfheal: thin wrappers that parse flags and call the selfheal package."""

import shlex
import sys
from pathlib import Path

from invoke import Collection, Exit, task

from selfheal import cli
from selfheal.context import Mode

HERE = Path(__file__).resolve().parent
COMMON_HELP = {
    "schema": "schema.json to use (default: $SELFHEAL_SCHEMA, else schema.json beside tasks.py)",
    "json": "print exactly one JSON report on stdout (progress goes to stderr)",
    "quiet": "show only problems and the summary",
    "verbose": "show every check, including the ones that passed",
}


def _finish(code: int) -> None:
    if code:
        raise Exit(code=code)


@task(help={**COMMON_HELP, "check": "read-only: change nothing, report what healing would do",
            "no_backup": "do not back up databases before changing them"})
def validate(c, schema=None, check=False, json=False, quiet=False, verbose=False, no_backup=False):
    """Check everything the app needs; heal what is safe on the way (--check: read-only)."""
    mode = Mode.CHECK if check else Mode.HEAL
    _finish(cli.execute("validate", cli.resolve_schema(schema, HERE), mode, as_json=json, quiet=quiet,
                        verbose=verbose, backup=not no_backup))


@task(name="all", default=True,
      help={**COMMON_HELP, "dry_run": "print every SQL statement and file action; change nothing",
            "fs_only": "only .env and directories", "db_only": "only databases",
            "no_backup": "do not back up databases before changing them"})
def heal_all(c, schema=None, dry_run=False, fs_only=False, db_only=False, json=False, quiet=False,
             verbose=False, no_backup=False):
    """Heal files, folders and databases; report unmet dependencies."""
    parts = ("env", "fs") if fs_only else ("db",) if db_only else ("env", "fs", "db", "deps")
    mode = Mode.DRY_RUN if dry_run else Mode.HEAL
    _finish(cli.execute("heal", cli.resolve_schema(schema, HERE), mode, parts, as_json=json, quiet=quiet,
                        verbose=verbose, backup=not no_backup))


@task(help={**COMMON_HELP, "dry_run": "print every SQL statement that would run; change nothing",
            "restore": "replace a corrupt database with its newest good backup, then heal it",
            "no_backup": "do not back up databases before changing them"})
def db(c, schema=None, dry_run=False, restore=False, json=False, quiet=False, verbose=False, no_backup=False):
    """Databases: create missing files, tables, columns and indexes."""
    mode = Mode.DRY_RUN if dry_run else Mode.HEAL
    parts = ("restore", "db") if restore else ("db",)
    _finish(cli.execute("heal.db", cli.resolve_schema(schema, HERE), mode, parts, as_json=json, quiet=quiet,
                        verbose=verbose, backup=not no_backup))


@task(help={**COMMON_HELP, "dry_run": "print every file action; change nothing"})
def fs(c, schema=None, dry_run=False, json=False, quiet=False, verbose=False):
    """.env from its template, missing keys appended, missing directories created."""
    mode = Mode.DRY_RUN if dry_run else Mode.HEAL
    _finish(cli.execute("heal.fs", cli.resolve_schema(schema, HERE), mode, ("env", "fs"), as_json=json,
                        quiet=quiet, verbose=verbose))


@task(help={**COMMON_HELP, "install": "run `python -m pip install -r FILE` for unmet requirements",
            "node": "run `npm ci` (lock file) or `npm install` in the node folder",
            "dry_run": "print the install commands; run nothing"})
def deps(c, schema=None, install=False, node=False, dry_run=False, json=False, quiet=False, verbose=False):
    """Python and Node packages: report what is unmet; install on request."""
    mode = Mode.DRY_RUN if dry_run else Mode.HEAL
    _finish(cli.execute("heal.deps", cli.resolve_schema(schema, HERE), mode, ("python", "deps"), as_json=json,
                        quiet=quiet, verbose=verbose, install=install, node=node))


@task(help={"schema": COMMON_HELP["schema"], "quiet": COMMON_HELP["quiet"], "verbose": COMMON_HELP["verbose"],
            "yes": "continue on warnings without asking", "strict": "treat warnings as errors",
            "no_start": "stop after the checks; do not start the app"})
def up(c, schema=None, yes=False, strict=False, no_start=False, quiet=False, verbose=False):
    """Validate, heal, re-validate, then start the app (arguments after -- go to the app)."""
    from selfheal.launcher import up as launch

    _finish(launch(cli.resolve_schema(schema, HERE), yes=yes, strict=strict, no_start=no_start,
                   app_args=_after_double_dash(c.remainder), quiet=quiet, verbose=verbose))


def _after_double_dash(remainder: str) -> list[str]:
    # Invoke joins the remainder with spaces; sys.argv keeps each argument whole
    if "--" in sys.argv:
        return sys.argv[sys.argv.index("--") + 1:]
    return shlex.split(remainder)


heal = Collection("heal", heal_all, db, fs, deps)
ns = Collection(validate, heal, up)


@task(help={"fast": "skip the slow tests (kill, concurrency and property tests)"})
def test(c, fast=False):
    """Run the checks CI runs: ruff (style), mypy (types), pytest (tests)."""
    c.run("python -m ruff check selfheal app tasks.py tests bench", echo=True, pty=False)
    c.run("python -m mypy", echo=True, pty=False)
    c.run("python -m pytest" + (" -m 'not slow'" if fast else ""), echo=True, pty=False)


ns.add_task(test)
