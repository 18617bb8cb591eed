"""Hypothesis profiles: `fast` for `invoke test --fast`, `ci` when CI is set (derandomized, no example
database: the same examples on every clean clone, so CI passes or fails for the code, not the draw),
`dev` otherwise (random, remembers failing examples), `soak` on request (SELFHEAL_HYPOTHESIS=soak)."""

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

settings.register_profile("fast", max_examples=15)
settings.register_profile("dev", max_examples=60)
settings.register_profile("ci", max_examples=200, derandomize=True, database=None)
settings.register_profile("soak", max_examples=2000)  # SELFHEAL_HYPOTHESIS=soak: a long hunt for new states
settings.load_profile(os.environ.get("SELFHEAL_HYPOTHESIS") or ("ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """One throwaway PostgreSQL cluster for the session (tests/pgserver.py); the URL of its postgres database."""
    from .pgserver import cluster

    with cluster() as url:
        yield url


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh empty database on the session's cluster, dropped afterwards."""
    from .pgserver import fresh_database

    with fresh_database(pg_server) as url:
        yield url


@pytest.fixture
def shared_tmp():
    """A project folder a second user can reach (pytest's own tmp folders are private to root)."""
    import shutil
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="selfheal-sec-", dir="/tmp"))
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)
