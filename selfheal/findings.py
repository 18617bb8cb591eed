"""Findings (one checked thing and its outcome) and the exit-code reducer."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any

_PROGRAM = {"name": "invoke"}  # "selfheal" when run as the console command (set by selfheal.__main__)


def set_program(name: str) -> None:
    """Name the program the user types, so hints show a command they can run as is."""
    _PROGRAM["name"] = name


def command(task: str) -> str:
    """A task as the user runs it, for hints: `invoke heal.db` or `selfheal heal.db`."""
    return f"`{_PROGRAM['name']} {task}`"


def plural(n: int, one: str, many: str = "") -> str:
    """"1 table", "2 tables", "1 index" / "3 indexes" (`many` for irregular plurals)."""
    return f"{n} {one if n == 1 else many or one + 's'}"


class Status(str, Enum):
    """Outcome of one check, in increasing order of severity."""

    OK = "ok"
    HEALED = "healed"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Finding:
    """One checked thing: what it is, how it ended, what was (or would be) done."""

    check: str
    target: str
    status: Status
    message: str
    hint: str = ""  # None (as a project check may pass) is read as ""
    action: str = ""
    notable: bool = False  # an ok finding worth showing by default (e.g. an undeclared table)
    group: str = ""  # the glob pattern of a fleet member: the text report folds a fleet's alike findings
    silenced: bool = False  # settings.silence matched it: reported, never counted, never changes the exit code

    def __post_init__(self) -> None:
        if self.hint is None:
            object.__setattr__(self, "hint", "")
        if self.action is None:
            object.__setattr__(self, "action", "")
        if not isinstance(self.status, Status):
            object.__setattr__(self, "status", Status(self.status))  # "warning" works as Status.WARNING

    def to_json(self) -> dict[str, Any]:
        """The finding as a JSON-ready dict (empty hint/action left out)."""
        doc: dict[str, Any] = {"check": self.check, "target": self.target, "status": self.status.value,
                               "message": self.message}
        if self.hint:
            doc["hint"] = self.hint
        if self.action:
            doc["action"] = self.action
        if self.silenced:
            doc["silenced"] = True
        return doc


def summarize(findings: Iterable[Finding]) -> dict[str, int]:
    """Count findings per status."""
    counts = {status.value: 0 for status in Status}
    for finding in findings:
        if not finding.silenced:
            counts[finding.status.value] += 1
    return counts


def exit_code(findings: Iterable[Finding]) -> int:
    """0 when all is well, 1 when an error remains, 2 for warnings only."""
    statuses = {finding.status for finding in findings if not finding.silenced}
    if Status.ERROR in statuses:
        return 1
    if Status.WARNING in statuses:
        return 2
    return 0


def overall_status(code: int) -> str:
    """The report's one-word status for an exit code."""
    return {0: "ok", 1: "error", 2: "warning"}[code]


BUILT_IN_PARTS = ("python", "env", "fs", "db", "deps")
ALWAYS_SHOWN = ("schema", "internal", "audit", "state", "selection")


def part_of(check_id: str) -> str:
    """The part a check id belongs to: a built-in part, or "checks" for project checks ("" for the run's own)."""
    if check_id in ALWAYS_SHOWN:
        return ""
    head = check_id.split(".", 1)[0]
    return head if head in BUILT_IN_PARTS else "checks"


def matches(check_id: str, token: str) -> bool:
    """True when --only/--skip's token names this check: its part, its id, or a dotted prefix of it."""
    return check_id == token or check_id.startswith(token + ".") or part_of(check_id) == token


def silence(findings: list[Finding], rules: tuple[str, ...]) -> list[Finding]:
    """Mark the findings settings.silence names, by `check` or `check:target`."""
    if not rules:
        return findings
    from dataclasses import replace

    def hit(f: Finding) -> bool:
        return any(rule == f.check or rule == f"{f.check}:{f.target}" for rule in rules)

    return [replace(f, silenced=True) if f.status is not Status.OK and hit(f) else f for f in findings]
