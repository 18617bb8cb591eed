"""selfheal: check and safely repair what a Python app needs before it starts.

Project checks use the public API: `from selfheal import check, Finding, Status`."""

from typing import Any

from selfheal.findings import Finding, Status
from selfheal.version import __version__

__all__ = ["check", "CheckContext", "Finding", "Status", "__version__"]


def __getattr__(name: str) -> Any:
    """`check` and `CheckContext` load the plugin machinery only when a project uses them."""
    if name in ("check", "CheckContext"):
        from selfheal.environment import plugins

        return getattr(plugins, name)
    raise AttributeError(f"module 'selfheal' has no attribute {name!r}")
