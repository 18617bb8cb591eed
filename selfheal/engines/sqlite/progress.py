"""A heal that runs long says so on a terminal: a spinner with the elapsed time after the first second,
silent otherwise (and never on a pipe or in CI logs)."""

from __future__ import annotations

import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Optional

AFTER_SECONDS = 1.0
EVERY_INSTRUCTIONS = 200_000  # SQLite calls back this often: a few hundred times a second, a clock read each


class Ticker:
    """SQLite's progress handler: shows the spinner once the work has taken AFTER_SECONDS."""

    def __init__(self, what: str, clock: Callable[[], float] = time.monotonic):
        self.what, self.clock = what, clock
        self.started = clock()
        self.status: Optional[Any] = None

    def __call__(self) -> int:
        elapsed = self.clock() - self.started
        if elapsed < AFTER_SECONDS:
            return 0
        if self.status is None:
            from rich.console import Console

            self.status = Console(stderr=True).status(f"{self.what} …")
            self.status.start()
        else:
            self.status.update(f"{self.what} … {elapsed:.0f} s")
        return 0  # never interrupts the work

    def stop(self) -> None:
        """Take the spinner off the terminal."""
        if self.status is not None:
            self.status.stop()


@contextmanager
def shown(conn: sqlite3.Connection, what: str) -> Iterator[None]:
    """While the block runs on conn, a terminal sees that it is working (after a second)."""
    if not sys.stderr.isatty():
        yield
        return
    ticker = Ticker(what)
    conn.set_progress_handler(ticker, EVERY_INSTRUCTIONS)
    try:
        yield
    finally:
        conn.set_progress_handler(None, 0)
        ticker.stop()
