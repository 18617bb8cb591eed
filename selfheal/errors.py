"""Exceptions shared across layers, each carrying a message a user can act on."""


class SnapshotError(Exception):
    """The database cannot be snapshotted, or the output cannot be written; the message says why."""
