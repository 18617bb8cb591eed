"""What one run knows: the project, the mode, the audit trail and the lazily taken project lock."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field
from enum import Enum
from typing import Optional

from selfheal.model import Project
from selfheal.safety.audit import Audit
from selfheal.safety.statecache import StateCache


class Mode(str, Enum):
    """CHECK and DRY_RUN change nothing; HEAL repairs what is safe to repair."""

    CHECK = "check"
    DRY_RUN = "dry-run"
    HEAL = "heal"


@dataclass
class RunContext:
    """Shared by every check of one run."""

    project: Project
    mode: Mode
    backup: bool = True
    remember: bool = True  # save the cache of clean results (never in fleet workers)
    lock_held: bool = False  # the project lock is held by a parent process
    jobs: int = 1
    trusted_state: bool = True  # .selfheal/ holds only what selfheal wrote (see safefile.untrusted_folder)
    _stack: ExitStack = field(default_factory=ExitStack)
    _locked: bool = False
    _lock_error: Optional[Exception] = None  # the run's one wait for the lock ended in this
    _audit: Optional[Audit] = None
    _cache: Optional[StateCache] = None

    @property
    def healing(self) -> bool:
        """True when this run may change things."""
        return self.mode is Mode.HEAL

    @property
    def audit(self) -> Audit:
        """The audit trail (nothing is written until a record is)."""
        if self._audit is None:
            self._audit = Audit(self.project.state_dir)
        return self._audit

    @property
    def cache(self) -> StateCache:
        """Remembered results of clean checks (saved only by runs that may write)."""
        if self._cache is None:
            self._cache = StateCache(self.project.state_dir, writable=self.healing and self.remember,
                                     trusted=self.trusted_state)
        return self._cache

    def lock(self) -> None:
        """Take the project lock before the first change; held until the run closes.

        A run waits for it once: when that wait failed, every later change fails at once the same way."""
        if self._locked or self.lock_held:
            return
        if self._lock_error is not None:
            raise self._lock_error
        from selfheal.safety.lock import project_lock

        try:
            self._stack.enter_context(project_lock(self.project.state_dir, self.project.lock_timeout))
        except Exception as exc:  # ProjectLocked, UnsafePath, OSError
            self._lock_error = exc
            raise
        self._locked = True

    def close(self) -> None:
        """Save the cache and release what the run holds."""
        try:
            if self._cache is not None:
                self._cache.save()
        finally:
            self._stack.close()
