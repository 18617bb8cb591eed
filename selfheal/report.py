"""The only module that prints a report: a doctor-style list on the terminal, or the JSON document."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Optional, TextIO

from .findings import Finding, Status, summarize

if TYPE_CHECKING:
    from .runner import Report

MARKS = {Status.OK: "✓", Status.HEALED: "✚", Status.WARNING: "!", Status.ERROR: "✗"}
STYLES = {Status.OK: "green", Status.HEALED: "cyan", Status.WARNING: "yellow", Status.ERROR: "bold red"}
ORDER = {Status.ERROR: 0, Status.WARNING: 1, Status.HEALED: 2, Status.OK: 3}


def render_json(report: Report, out: Optional[TextIO] = None) -> None:
    """Exactly one JSON document on stdout."""
    stream = out or sys.stdout
    stream.write(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n")
    stream.flush()


def visible(findings: list[Finding], quiet: bool, verbose: bool) -> list[Finding]:
    """What a level of detail shows: problems always, healed by default, every ok with --verbose."""
    if verbose:
        shown = list(findings)
    elif quiet:
        shown = [f for f in findings if f.status in (Status.WARNING, Status.ERROR)]
    else:
        shown = [f for f in findings if f.status is not Status.OK or f.notable]
    return sorted(shown, key=lambda f: ORDER[f.status])  # stable: checks keep their order


def render_text(report: Report, title: str, quiet: bool = False, verbose: bool = False,
                show_actions: bool = False, out: Optional[TextIO] = None) -> None:
    """Problems first, each with its hint; then one summary line."""
    from rich.console import Console
    from rich.text import Text

    console = Console(file=out or sys.stdout, highlight=False, soft_wrap=True)
    if not quiet:
        console.print(Text(title, style="bold"))
    for finding in visible(report.findings, quiet, verbose):
        line = Text()
        line.append(f"{MARKS[finding.status]} {finding.status.value:<8}", style=STYLES[finding.status])
        line.append(f" {finding.check:<12} ", style="dim")
        line.append(finding.target, style="bold")
        line.append(f"  {finding.message}")
        console.print(line)
        if finding.hint and finding.status in (Status.WARNING, Status.ERROR):
            console.print(Text(f"    → {finding.hint}", style="italic"))
        if show_actions and finding.action:
            for statement in finding.action.split(";\n"):
                console.print(Text("    " + statement.replace("\n", "\n    "), style="dim"))
    console.print(summary_line(report))


def summary_line(report: Report) -> object:
    """Total: 31 ok, 2 healed, 1 warning, 0 errors -> exit 1."""
    from rich.text import Text

    counts = summarize(report.findings)
    code = report.exit_code
    style = {0: "bold green", 1: "bold red", 2: "bold yellow"}[code]
    words = {0: "all good", 1: "errors remain", 2: "warnings only"}[code]
    errors = counts["error"]
    text = (f"Total: {counts['ok']} ok, {counts['healed']} healed, {counts['warning']} "
            f"warning{'s' if counts['warning'] != 1 else ''}, {errors} error{'s' if errors != 1 else ''}"
            f" — {words} (exit {code})")
    return Text(text, style=style)
