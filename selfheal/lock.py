"""The project lock: two runs on the same project take turns on .selfheal/lock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class ProjectLocked(Exception):
    """Another run held the project lock for longer than the bounded wait."""


@contextmanager
def project_lock(state_dir: Path, timeout: float) -> Iterator[None]:
    """Hold the OS-level lock on .selfheal/lock (filelock is imported only when changing things)."""
    from filelock import FileLock, Timeout

    state_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(state_dir / "lock"), timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise ProjectLocked(
            f"another selfheal run holds {state_dir / 'lock'} (waited {timeout:g} s)"
        ) from None
    try:
        yield
    finally:
        lock.release()
