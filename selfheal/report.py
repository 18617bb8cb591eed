"""The only module that prints a report: a doctor-style list on the terminal, or the JSON document."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Optional, TextIO

from selfheal.findings import Finding, Status, summarize
from selfheal.text import printable

if TYPE_CHECKING:
    from selfheal.runner import Report

MARKS = {Status.OK: "✓", Status.HEALED: "✚", Status.WARNING: "!", Status.ERROR: "✗"}
STYLES = {Status.OK: "green", Status.HEALED: "cyan", Status.WARNING: "yellow", Status.ERROR: "bold red"}
ORDER = {Status.ERROR: 0, Status.WARNING: 1, Status.HEALED: 2, Status.OK: 3}


def render_json(report: Report, out: Optional[TextIO] = None) -> None:
    """Exactly one JSON document on stdout."""
    stream = out or sys.stdout
    doc = report.to_json()
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    try:
        text.encode(getattr(stream, "encoding", None) or "utf-8")
    except (UnicodeEncodeError, LookupError):
        text = json.dumps(doc, indent=2)  # \u escapes: a name with a lone surrogate still prints exactly
    stream.write(text + "\n")
    stream.flush()


def visible(findings: list[Finding], quiet: bool, verbose: bool) -> list[Finding]:
    """What a level of detail shows: problems always, healed by default, every ok with --verbose.

    Without --verbose, alike findings of a fleet's files fold into one line per outcome."""
    if not verbose:
        findings = [f for f in findings if not f.silenced]  # silenced: in --verbose and --json only
    if verbose:
        shown = list(findings)
    elif quiet:
        shown = fold_fleets([f for f in findings if f.status in (Status.WARNING, Status.ERROR)])
    else:
        shown = fold_fleets([f for f in findings if f.status is not Status.OK or f.notable])
    return sorted(shown, key=lambda f: ORDER[f.status])  # stable: checks keep their order


def fold_fleets(findings: list[Finding]) -> list[Finding]:
    """One finding per (fleet, check, status, message), its target counting the files."""
    groups: dict[object, list[Finding]] = {}  # in first-seen order; a lone finding is its own group
    for finding in findings:
        key = (finding.group, finding.check, finding.status, finding.message) if finding.group else id(finding)
        groups.setdefault(key, []).append(finding)
    out = []
    for first, *rest in groups.values():
        if rest:
            files = len({m.target.split(":", 1)[0] for m in (first, *rest)})
            first = replace(first, target=f"{first.group} ({files} files)", action="")
        out.append(first)
    return out


Segment = tuple[str, str]  # (text, rich style)


def report_lines(report: Report, title: str, quiet: bool = False, verbose: bool = False,
                 show_actions: bool = False) -> list[list[Segment]]:
    """The report as styled lines: problems first, each with its hint; then one summary line."""
    lines: list[list[Segment]] = []
    if not quiet:
        lines.append([(title, "bold")])
    for finding in visible(report.findings, quiet, verbose):
        lines.append([(f"{MARKS[finding.status]} {finding.status.value:<8}", STYLES[finding.status]),
                      (f" {printable(finding.check):<12} ", "dim"), (printable(finding.target), "bold"),
                      (f"  {printable(finding.message)}" + (" (silenced)" if finding.silenced else ""), "")])
        if finding.hint and finding.status in (Status.WARNING, Status.ERROR):
            lines.append([(f"    → {printable(finding.hint)}", "italic")])
        if show_actions and finding.action:
            for statement in finding.action.split(";\n"):
                shown = printable(statement, keep_newlines=True)
                lines.append([("    " + shown.replace("\n", "\n    "), "dim")])
    if report.drift is not None:
        lines.extend(drift_lines(report.drift, report.project.schema_path.name if report.project else "schema.json"))
    lines.append([summary_line(report)])
    return lines


def drift_lines(rows: list[Any], declared_in: str = "schema.json") -> list[list[Segment]]:
    """The drift report: one row per difference, declared and actual side by side."""
    if not rows:
        return [[(f"Drift: none — every database matches {declared_in}", "green")]]
    headers = ("object", "aspect", f"declared ({declared_in})", "actual (database)")
    table = [headers] + [tuple(map(printable, (r.target, r.aspect, r.declared, r.actual))) for r in rows]
    widths = [min(48, max(len(row[i]) for row in table)) for i in range(3)]
    out: list[list[Segment]] = [[(f"Drift: {len(rows)} difference{'s' if len(rows) != 1 else ''}", "bold")]]
    for n, row in enumerate(table):
        cells = [row[i].ljust(widths[i]) for i in range(3)] + [row[3]]
        out.append([("  " + "  ".join(cells), "bold" if n == 0 else "")])
    return out


def render_text(report: Report, title: str, quiet: bool = False, verbose: bool = False,
                show_actions: bool = False, out: Optional[TextIO] = None) -> None:
    """Print the report: through rich on a terminal, as plain text otherwise (same words, no import cost)."""
    stream = out or sys.stdout
    lines = report_lines(report, title, quiet, verbose, show_actions)
    if not _is_terminal(stream):
        stream.write("".join("".join(text for text, _ in line) + "\n" for line in lines))
        stream.flush()
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(file=stream, highlight=False, soft_wrap=True)
    for line in lines:
        console.print(Text.assemble(*line))  # Text, never markup: user text like a[b]c prints as is


def _is_terminal(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False  # no colour means no bold or dim either: the plain text, same words
    if os.environ.get("FORCE_COLOR") or os.environ.get("TTY_COMPATIBLE") == "1":
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def summary_line(report: Report) -> Segment:
    """Total: 31 ok, 2 healed, 1 warning, 0 errors — all good (exit 0)."""
    counts = summarize(report.findings)
    code = report.exit_code
    style = {0: "bold green", 1: "bold red", 2: "bold yellow"}[code]
    words = {0: "all good", 1: "errors remain", 2: "warnings only"}[code]
    errors = counts["error"]
    text = (f"Total: {counts['ok']} ok, {counts['healed']} healed, {counts['warning']} "
            f"warning{'s' if counts['warning'] != 1 else ''}, {errors} error{'s' if errors != 1 else ''}"
            f" — {words} (exit {code})")
    return text, style
