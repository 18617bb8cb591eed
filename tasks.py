"""Invoke tasks of this repository: selfheal's tasks (see selfheal/tasks.py) plus `invoke test`."""

import os
import re
from pathlib import Path

from invoke import task

from selfheal.tasks import ns

HERE = Path(__file__).resolve().parent



def demo_schema_name(root: Path) -> str:
    """The demo's switch: with DATABASE_URL set (environment or .env) it runs on PostgreSQL."""
    if "DATABASE_URL" in os.environ:
        return "schema.postgres.json" if os.environ["DATABASE_URL"] else "schema.json"
    try:
        text = (root / ".env").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "schema.json"
    return "schema.postgres.json" if re.search(r"(?m)^\s*(export\s+)?DATABASE_URL\s*=\s*['\"]?[^\s'\"#]", text) \
        else "schema.json"


# schema.json beside this file is the default project (schema.postgres.json when DATABASE_URL is set)
ns.configure({"selfheal": {"root": str(HERE), "schema_name": demo_schema_name(HERE)}})


@task(help={"fast": "skip the slow tests (kill, concurrency, fleet and install tests); few generated examples"})
def test(c, fast=False):
    """Run the checks CI runs: ruff (style), mypy (types), pytest (tests, then the shared contract checks)."""
    with c.cd(str(HERE)):
        c.run("python -m ruff check selfheal app tasks.py checks.py tests bench", echo=True, pty=False)
        c.run("python -m mypy", echo=True, pty=False)
        c.run("python -m pytest" + (" -m 'not slow'" if fast else ""), echo=True, pty=False,
              env={"SELFHEAL_HYPOTHESIS": "fast"} if fast else {})
        contract = HERE.parent / "shared" / "contract_tests"
        if contract.is_dir():  # the black-box conformance checks, where the shared folder is present
            c.run(f"python -m pytest {contract} -q -p no:cacheprovider", echo=True, pty=False,
                  env={"PROJECT": str(HERE)})


ns.add_task(test)
