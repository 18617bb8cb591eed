"""The Invoke tasks: thin wrappers that parse flags, call the selfheal package and exit with its code.

Used by the repository's tasks.py and by the `selfheal` console command (`python -m selfheal`)."""

import os
import shlex
import sys
from pathlib import Path
from typing import Any, NoReturn, Optional

from invoke import Collection, Context, Exit
from invoke import task as invoke_task

from selfheal import cli
from selfheal.context import Mode


def task(*args: Any, **kwargs: Any) -> Any:
    """Invoke's @task with long flags only: generated short ones meant different things per task
    (-o was --jobs here and --out there, -r --drift and --restore)."""
    kwargs.setdefault("auto_shortflags", False)
    return invoke_task(*args, **kwargs)


COMMON_HELP = {
    "schema": "schema.json to use (default: $SELFHEAL_SCHEMA, else schema.json beside tasks.py; for the "
              "selfheal command, in the current folder)",
    "json": "print exactly one JSON report on stdout (progress goes to stderr)",
    "quiet": "show only problems and the summary",
    "verbose": "show every check, including the ones that passed",
}
JOBS_HELP = "worker processes for database fleets (globs); default: the number of CPUs"
SELECT_HELP = {"only": "run only these parts or check ids, comma-separated (db,env,fs,deps,python,checks,app.port)",
               "skip": "skip these parts or check ids, comma-separated"}


def _schema(c: Context, schema: Optional[str]) -> Path:
    """--schema, else $SELFHEAL_SCHEMA, else schema.json in the configured root (tasks.py's folder) or here."""
    settings = c.config.get("selfheal", {})
    try:
        root = Path(settings.get("root") or Path.cwd())
        return cli.resolve_schema(schema, root, settings.get("schema_name") or "schema.json",
                                  search_up=not settings.get("root"))
    except FileNotFoundError:  # os.getcwd() of a folder removed while the shell was in it
        _usage("the current folder no longer exists (removed after this shell entered it): cd into the project "
               "again")


def _finish(code: int) -> None:
    if code:
        raise Exit(code=code)


def _usage(message: str) -> NoReturn:
    """A flag the task cannot use: one line on stderr, exit 1 (never a traceback)."""
    raise Exit(message=f"selfheal: {message}", code=1)


def _jobs(value: Optional[str]) -> Optional[int]:
    """--jobs N: a whole number of 1 or more (None: one per CPU)."""
    if value in (None, ""):
        return None
    try:
        jobs = int(str(value))
    except ValueError:
        jobs = 0
    if jobs < 1:
        _usage(f"--jobs takes a whole number of 1 or more, got {value!r}")
    return jobs


def _detail(quiet: bool, verbose: bool) -> None:
    if quiet and verbose:
        _usage("--quiet and --verbose ask for opposite things: give one")


@task(help={**COMMON_HELP, "check": "read-only: change nothing, report what healing would do",
            "dry_run": "read-only like --check, and print every SQL statement and file action healing would run",
            "drift": "read-only: also show declared vs actual, side by side, for everything that differs",
            "no_backup": "do not back up databases before changing them", "jobs": JOBS_HELP, **SELECT_HELP})
def validate(c, schema=None, check=False, dry_run=False, drift=False, json=False, quiet=False, verbose=False,
             no_backup=False, jobs=None, only=None, skip=None):
    """Check everything the app needs; heal what is safe on the way (--check, --dry-run, --drift: read-only)."""
    _detail(quiet, verbose)
    mode = Mode.DRY_RUN if dry_run else Mode.CHECK if check or drift else Mode.HEAL
    _finish(cli.execute("validate", _schema(c, schema), mode, as_json=json, quiet=quiet,
                        verbose=verbose, backup=not no_backup, jobs=_jobs(jobs), drift=drift,
                        only=cli.tokens(only), skip=cli.tokens(skip)))


@task(name="all", default=True,
      help={**COMMON_HELP, "dry_run": "print every SQL statement and file action; change nothing",
            "fs_only": "only .env and directories", "db_only": "only databases",
            "no_backup": "do not back up databases before changing them", "jobs": JOBS_HELP, **SELECT_HELP})
def heal_all(c, schema=None, dry_run=False, fs_only=False, db_only=False, json=False, quiet=False,
             verbose=False, no_backup=False, jobs=None, only=None, skip=None):
    """Heal files, folders and databases; report unmet dependencies."""
    _detail(quiet, verbose)
    if fs_only and db_only:
        _usage("--fs-only and --db-only exclude each other: give one (or neither, for both)")
    parts = ("env", "fs") if fs_only else ("db",) if db_only else ("env", "fs", "db", "deps", "checks")
    mode = Mode.DRY_RUN if dry_run else Mode.HEAL
    _finish(cli.execute("heal", _schema(c, schema), mode, parts, as_json=json, quiet=quiet,
                        verbose=verbose, backup=not no_backup, jobs=_jobs(jobs), only=cli.tokens(only),
                        skip=cli.tokens(skip)))


@task(help={**COMMON_HELP, "dry_run": "print every SQL statement that would run; change nothing",
            "restore": "replace a corrupt database with its newest good backup, then heal it",
            "no_backup": "do not back up databases before changing them", "jobs": JOBS_HELP})
def db(c, schema=None, dry_run=False, restore=False, json=False, quiet=False, verbose=False, no_backup=False,
       jobs=None):
    """Databases: create missing files, tables, columns and indexes."""
    _detail(quiet, verbose)
    mode = Mode.DRY_RUN if dry_run else Mode.HEAL
    parts = ("restore", "db") if restore else ("db",)
    _finish(cli.execute("heal.db", _schema(c, schema), mode, parts, as_json=json, quiet=quiet,
                        verbose=verbose, backup=not no_backup, jobs=_jobs(jobs)))


@task(help={**COMMON_HELP, "dry_run": "print every file action; change nothing"})
def fs(c, schema=None, dry_run=False, json=False, quiet=False, verbose=False):
    """.env from its template, missing keys appended, missing directories created."""
    _detail(quiet, verbose)
    mode = Mode.DRY_RUN if dry_run else Mode.HEAL
    _finish(cli.execute("heal.fs", _schema(c, schema), mode, ("env", "fs"), as_json=json,
                        quiet=quiet, verbose=verbose))


@task(help={**COMMON_HELP, "install": "run `python -m pip install -r FILE` for unmet requirements",
            "node": "run `npm ci` (lock file) or `npm install` in the node folder",
            "dry_run": "print the install commands; run nothing"})
def deps(c, schema=None, install=False, node=False, dry_run=False, json=False, quiet=False, verbose=False):
    """Python and Node packages: report what is unmet; install on request."""
    _detail(quiet, verbose)
    mode = Mode.DRY_RUN if dry_run else Mode.HEAL
    _finish(cli.execute("heal.deps", _schema(c, schema), mode, ("python", "deps"), as_json=json,
                        quiet=quiet, verbose=verbose, install=install, node=node))


@task(help={"schema": COMMON_HELP["schema"], "quiet": COMMON_HELP["quiet"], "verbose": COMMON_HELP["verbose"],
            "yes": "continue on warnings without asking", "strict": "treat warnings as errors",
            "no_start": "stop after the checks; do not start the app", **SELECT_HELP})
def up(c, schema=None, yes=False, strict=False, no_start=False, quiet=False, verbose=False, only=None, skip=None):
    """Validate, heal, re-validate, then start the app (arguments after -- go to the app)."""
    from selfheal.launcher import up as launch

    _detail(quiet, verbose)
    _finish(cli.guarded(lambda: launch(_schema(c, schema), yes=yes, strict=strict, no_start=no_start,
                                       app_args=_after_double_dash(c.remainder), quiet=quiet, verbose=verbose,
                                       only=cli.tokens(only), skip=cli.tokens(skip))))


def _after_double_dash(remainder: str) -> list[str]:
    # Invoke joins the remainder with spaces; sys.argv keeps each argument whole
    if "--" in sys.argv:
        return sys.argv[sys.argv.index("--") + 1:]
    return shlex.split(remainder)


@task(name="snapshot", positional=["database"],
      help={"database": "the SQLite file to describe, or env:NAME for the PostgreSQL database whose URL NAME "
                        "holds (environment or .env)",
            "out": "write into this schema.json (created, or only this database's entry replaced)",
            "name": "the key under \"databases\" (default: the path relative to the schema's folder; \"main\" for "
                    "env:NAME)",
            "schema": "the schema.json the entry is for: its folder is what the key is relative to "
                      "(default: --out's folder, else $SELFHEAL_SCHEMA's, else the current folder)",
            "format": "json (a schema.json entry, the default) or sql (the database's own DDL, lossless)",
            "namespace": "PostgreSQL: the schema (namespace) to describe (default: public), several as a,b, or "
                         "all (every one that holds a table); each entry is keyed by its namespace"})
def snapshot_task(c, database, out=None, name=None, schema=None, format="json", namespace=None):
    """Print (or --out: write) the schema.json entry of an existing database."""
    from selfheal.cli import snapshot

    if database in ("-h", "--help"):  # Invoke reads a flag after the task as its positional argument
        print("usage: invoke schema.snapshot DATABASE [--out FILE] [--name KEY] [--format json|sql] "
              "(DATABASE: an SQLite file, or env:NAME for PostgreSQL); `invoke --help schema.snapshot` "
              "describes each option")
        return

    # the key (and an SQL file's "sql" path) is relative to the schema it is for: --out when that is the
    # schema.json the entry goes into; an SQL file is not a schema, so then --schema or the current folder
    chosen = (out if format != "sql" else None) or schema or os.environ.get("SELFHEAL_SCHEMA")
    base = Path(chosen).expanduser().absolute().parent if chosen else Path.cwd()
    _finish(snapshot(Path(database), Path(out) if out else None, name, base, format, namespace))


@task(help={"schema": "where to write schema.json (default: schema.json in the current folder); never overwritten",
            "json": COMMON_HELP["json"] + " (of the check that follows)"})
def init(c, schema=None, json=False):
    """Adopt selfheal in an existing app: write schema.json from what is here, then check against it."""
    from selfheal.adopt import init as adopt

    target = Path(schema or "schema.json").expanduser().absolute()
    above = cli.nearest(target.parent.parent) if schema is None else None
    if above is not None:
        _usage(f"{above} already describes this folder (it is inside that project): run `init` there, edit that "
               "schema.json, or give --schema to write a separate one here")
    _finish(cli.guarded(lambda: adopt(target, as_json=json), as_json=json))


@task(help={"schema": COMMON_HELP["schema"], "json": COMMON_HELP["json"] + " (the script then goes to --out only)",
            "out": "write the script to this file instead of stdout",
            "apply": "run it: one transaction per database, a backup first, row counts verified before COMMIT"})
def migrate(c, schema=None, out=None, apply=False, json=False):
    """Write the SQL that migrates what differs from schema.json (types, NOT NULL, constraints) for review."""
    _finish(cli.guarded(lambda: cli.migrate(_schema(c, schema), Path(out) if out else None, apply, as_json=json),
                        as_json=json))


@task(help={"schema": COMMON_HELP["schema"], "json": "print the list as one JSON document"})
def checks(c, schema=None, json=False):
    """List every part and check id --only / --skip accept: built in, and the project's own."""
    _finish(cli.guarded(lambda: cli.list_checks(_schema(c, schema), as_json=json), as_json=json))


heal = Collection("heal", heal_all, db, fs, deps)
schema_ns = Collection("schema", snapshot_task)
ns = Collection(validate, heal, up, schema_ns, init, checks, migrate)
