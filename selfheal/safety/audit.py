"""The audit trail: one JSON object per change, appended to .selfheal/audit.jsonl."""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from selfheal.safety.safefile import ensure_private_dir, open_private_append


def utc_now() -> str:
    """Current UTC time, ISO 8601 with a Z."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Audit:
    """Appends records to the audit file; created lazily so read-only runs never touch it."""

    def __init__(self, state_dir: Path):
        self.path = state_dir / "audit.jsonl"
        self.error = ""  # why a record could not be written (the run reports it as a warning)
        self._folder_checked = False

    def record(self, check: str, target: str, action: str, result: str, **extra: Any) -> None:
        """Append one record (time, check, target, action, result); a failure is remembered, not raised."""
        doc = {"time": utc_now(), "check": check, "target": target, "action": action, "result": result, **extra}
        line = json.dumps(doc, ensure_ascii=False) + "\n"
        try:
            if not self._folder_checked:
                ensure_private_dir(self.path.parent)
                self._folder_checked = True
            # one write() of a line opened with O_APPEND: concurrent writers never interleave mid-line;
            # O_NOFOLLOW: a link in its place is refused, never written through
            fd = open_private_append(self.path)
            try:
                os.write(fd, line.encode("utf-8"))
            finally:
                os.close(fd)
        except OSError as exc:
            self.error = exc.strerror or str(exc)


def last_run(state_dir: Path) -> Optional[dict[str, Any]]:
    """The newest run summary in the audit trail, if any."""
    path = state_dir / "audit.jsonl"
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 65536))
            lines = fh.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if isinstance(doc, dict) and doc.get("check") == "run":
            return doc
    return None
