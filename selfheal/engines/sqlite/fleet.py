"""Fleets: one declaration applied to every existing file a glob matches, checked in parallel processes."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from functools import partial
from pathlib import Path

from selfheal.context import Mode, RunContext
from selfheal.findings import Finding, Status, plural
from selfheal.model import Database, Project

PROGRESS_FROM = 50  # files; smaller fleets finish before a bar would help


def _check_one(project: Project, desired: Database, mode: Mode, backup: bool, path: Path,
               label: str) -> list[Finding]:
    """Worker: check (and heal) one file; the parent holds the project lock and keeps the cache."""
    from selfheal.engines.sqlite.heal import check_database

    ctx = RunContext(project, mode, backup=backup, remember=False, lock_held=True)
    try:
        return check_database(ctx, desired, path, label, create=False)
    finally:
        ctx.close()


def check_fleet(ctx: RunContext, desired: Database, files: list[tuple[Path, str]]) -> list[Finding]:
    """Every matching file planned and healed on its own (one transaction, backup, verification each)."""
    if ctx.healing:
        ctx.lock()  # held by this process for all workers: no two runs heal the fleet at once
    jobs = max(1, min(ctx.jobs, len(files)))
    if jobs == 1:
        results = [_check_one(ctx.project, desired, ctx.mode, ctx.backup, p, label) for p, label in files]
    else:
        work = partial(_check_one, ctx.project, desired, ctx.mode, ctx.backup)  # pickled once per chunk
        paths, labels = zip(*files, strict=True)
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            chunk = max(1, len(files) // (jobs * 8))
            results = _collect(pool.map(work, paths, labels, chunksize=chunk), len(files), desired.path)
    findings = [replace(f, group=desired.path) for found in results for f in found]
    return [_summary(desired.path, files, results)] + findings


def _collect(results: Iterator[list[Finding]], total: int, pattern: str) -> list[list[Finding]]:
    """Gather the workers' results in order, with a progress bar on a terminal for long runs."""
    if total < PROGRESS_FROM or not sys.stderr.isatty():
        return list(results)
    from rich.console import Console
    from rich.progress import Progress

    out = []
    with Progress(transient=True, console=Console(stderr=True)) as progress:  # stdout stays the report's
        bar = progress.add_task(f"checking {pattern}", total=total)
        for found in results:
            out.append(found)
            progress.advance(bar)
    return out


def _summary(pattern: str, files: list[tuple[Path, str]], results: list[list[Finding]]) -> Finding:
    """One line for the fleet: how many files ended in each way."""
    outcomes = {"healed": 0, "ok": 0, "warning": 0, "error": 0}
    for found in results:
        worst = max((f.status for f in found), key=lambda s: list(Status).index(s), default=Status.OK)
        outcomes[worst.value] += 1
    words = {"healed": "healed", "ok": "fine", "warning": "with warnings", "error": "with errors"}
    parts = [f"{n} {words[kind]}" for kind, n in outcomes.items() if n]
    listed = " (each listed)" if outcomes["warning"] or outcomes["error"] else ""
    # the line counts the fleet's files; their problems are findings of their own, so this one stays ok
    return Finding("db.fleet", pattern, Status.OK, f"checked {plural(len(files), 'file')}: " + ", ".join(parts)
                   + listed, notable=True)
