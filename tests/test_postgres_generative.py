"""Generative: any mix of PostgreSQL objects gone from a populated database (indexes, a view, triggers, the
trigger function, comments, an enum label's worth of nothing) heals back to the original catalogue, every
row kept, and a second heal has nothing to do."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import invoke, write_schema
from .pgserver import binaries, fresh_database
from .test_postgres_corpus import CORPUS, catalogue, contents, run_sql

psycopg = pytest.importorskip("psycopg", reason="psycopg 3 is not installed (pip install -r requirements-dev.txt)")
pytestmark = pytest.mark.skipif(binaries() is None, reason="no PostgreSQL server binaries (initdb) on this machine")

DAMAGE = {
    "post_search index": "DROP INDEX post_search",
    "post_tags index": "DROP INDEX post_tags",
    "post_recent index": "DROP INDEX post_recent",
    "published view": "DROP VIEW published",
    "post_touch trigger": "DROP TRIGGER post_touch ON post",
    "the trigger function": "DROP FUNCTION touch_updated_at() CASCADE",
    "a table comment": "COMMENT ON TABLE post IS NULL",
    "a column comment": "COMMENT ON COLUMN post.search IS NULL",
    "a changed comment": "COMMENT ON TABLE post IS 'something else'",
    "a replaced function": "CREATE OR REPLACE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS "
                           "$$ BEGIN RETURN NEW; END $$",
}


@pytest.fixture(scope="module")
def blog(pg_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """The blog corpus schema with its rows, and a folder whose schema.json is its snapshot."""
    folder = tmp_path_factory.mktemp("blog")
    with fresh_database(pg_server) as url:
        run_sql(url, CORPUS["blog"])
        write_schema(folder, {})
        snap = invoke(folder, "schema.snapshot", "env:DATABASE_URL", "--out", "schema.json",
                      env={"DATABASE_URL": url})
        assert snap.returncode == 0, snap.stderr
        (folder / ".env").write_text(f"DATABASE_URL={url}\n")
        yield folder, url


@given(st.sets(st.sampled_from(sorted(DAMAGE)), min_size=1))
@settings(deadline=None, max_examples=int(os.environ.get("SELFHEAL_PG_EXAMPLES", "25")),
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_objects_gone_heal_back_rows_kept_second_heal_clean(blog: tuple[Path, str], gone: set[str]) -> None:
    from selfheal.context import Mode
    from selfheal.findings import Status
    from selfheal.runner import run

    folder, url = blog
    original, rows = catalogue(url), contents(url)
    run_sql(url, ";\n".join(DAMAGE[name] for name in sorted(gone)))
    first = run(folder / "schema.json", Mode.HEAL, ("db",))
    assert first.exit_code == 0, json.dumps([f.message for f in first.findings])
    assert catalogue(url) == original
    assert contents(url) == rows
    second = run(folder / "schema.json", Mode.HEAL, ("db",))
    assert second.exit_code == 0 and not [f for f in second.findings if f.status is Status.HEALED]
