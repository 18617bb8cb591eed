"""The project lock: two runs on the same project take turns on .selfheal/lock.

On POSIX the lock is an flock() on a 0600 file opened without following links, so no other user can
open it to hold it (or be tricked into truncating a link's target); it records the holder's pid and
start time, which a waiting run shows. Elsewhere filelock does the locking.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from selfheal.safety.safefile import PRIVATE_FILE, UnsafePath, ensure_private_dir

LOCK_HINT = "retry when the other run has finished, or raise settings.lock_timeout"


class ProjectLocked(Exception):
    """Another run held the project lock for longer than the bounded wait."""


def failure(exc: BaseException, hint: str) -> tuple[str, str]:
    """(reason, hint) for what stopped a change: the lock and unsafe paths say so, never "permissions"."""
    if isinstance(exc, ProjectLocked):
        return str(exc), LOCK_HINT
    if isinstance(exc, UnsafePath):
        return str(exc), "remove the link or folder named above (or fix its owner), then retry"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror, hint
    return str(exc), hint


def say_waiting(holder: str) -> None:
    """The default: one line on stderr while waiting."""
    print(f"selfheal: waiting for the project lock (.selfheal/lock){holder} …", file=sys.stderr, flush=True)


@contextmanager
def project_lock(state_dir: Path, timeout: float, on_wait: Callable[[str], None] = say_waiting) -> Iterator[None]:
    """Hold .selfheal/lock for the block; wait at most `timeout` seconds, then raise ProjectLocked."""
    ensure_private_dir(state_dir)
    path = state_dir / "lock"
    if os.name != "posix":
        with _filelock(path, timeout):
            yield
        return
    import fcntl

    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, PRIVATE_FILE)
    except OSError as exc:
        if os.path.islink(path):
            raise UnsafePath(f"{path} is a symbolic link; remove it (selfheal never locks through a link)") from None
        raise exc
    try:
        os.fchmod(fd, PRIVATE_FILE)
        deadline = time.monotonic() + timeout
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait(_holder(fd))
            while True:
                time.sleep(0.05)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise ProjectLocked(f"another selfheal run{_holder(fd)} holds the project lock "
                                            f"{path} (waited {timeout:g} s); nothing was changed") from None
        started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {started}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _holder(fd: int) -> str:
    """", held by pid N since T" from the lock file, when the holder wrote it."""
    try:
        pid, started = os.pread(fd, 200, 0).decode("ascii").strip().split(" ", 1)
        if not re.fullmatch(r"[0-9T:.+Z-]{1,40}", started):  # anything else was not written by selfheal
            return f" (pid {int(pid)})"
        return f" (pid {int(pid)}, since {started})"
    except (OSError, ValueError):
        return ""


@contextmanager
def _filelock(path: Path, timeout: float) -> Iterator[None]:
    from filelock import FileLock, Timeout

    lock = FileLock(str(path), timeout=timeout, mode=PRIVATE_FILE)
    try:
        lock.acquire()
    except Timeout:
        raise ProjectLocked(f"another selfheal run holds the project lock {path} (waited {timeout:g} s); "
                            "nothing was changed") from None
    try:
        yield
    finally:
        lock.release()
