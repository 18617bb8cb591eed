"""selfheal's version (one place: the package, the caches and the build read it here)."""

__version__ = "0.1.0"
