"""Invoke tasks of this repository: selfheal's tasks (see selfheal/tasks.py) plus `invoke test`."""

from pathlib import Path

from invoke import task

from selfheal.tasks import ns

# schema.json beside this file is the default project
ns.configure({"selfheal": {"root": str(Path(__file__).resolve().parent)}})


@task(help={"fast": "skip the slow tests (kill, concurrency and property tests)"})
def test(c, fast=False):
    """Run the checks CI runs: ruff (style), mypy (types), pytest (tests)."""
    c.run("python -m ruff check selfheal app tasks.py tests bench", echo=True, pty=False)
    c.run("python -m mypy", echo=True, pty=False)
    c.run("python -m pytest" + (" -m 'not slow'" if fast else ""), echo=True, pty=False)


ns.add_task(test)
