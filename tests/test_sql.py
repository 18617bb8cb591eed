"""Quoting and DDL rendering: any name is used verbatim, literals never become SQL."""

import sqlite3

import pytest

from selfheal.model import Column, Default, Index, Table
from selfheal.planning.sql import create_index, create_table, default_sql, quote_literal, splice_columns

HOSTILE = ["Order Details", 'a"b', "a]b", "select", "x'); DROP TABLE t;--", "[x]", "`y`", "ünï", "a.b", " lead"]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_identifiers_round_trip(name):
    conn = sqlite3.connect(":memory:")
    table = Table(name, (Column(name, "TEXT", default=Default("v")), Column("id", "INTEGER")), ("id",))
    conn.execute(create_table(table))
    conn.execute(create_index(name, Index((name,)), name + "_ix"))
    assert conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall() == [(name,)]
    assert [r[1] for r in conn.execute("SELECT * FROM pragma_table_info(?)", (name,))] == [name, "id"]


@pytest.mark.parametrize("value, text", [
    (None, "NULL"), (True, "1"), (False, "0"), (0, "0"), (-1.5, "-1.5"), ("", "''"), ("it's", "'it''s'"),
    ("CURRENT_TIMESTAMP", "'CURRENT_TIMESTAMP'"), ("1); DROP TABLE t; --", "'1); DROP TABLE t; --'"),
])
def test_literals_are_never_sql(value, text):
    assert quote_literal(value) == text
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE TABLE t (x DEFAULT {text})")
    conn.execute("INSERT INTO t DEFAULT VALUES")
    stored = conn.execute("SELECT x FROM t").fetchone()[0]
    assert stored == (int(value) if isinstance(value, bool) else value)


def test_sql_defaults_render_bare_or_parenthesised():
    assert default_sql(Default("current_timestamp", sql=True)) == "current_timestamp"
    assert default_sql(Default("1+2", sql=True)) == "(1+2)"
    assert default_sql(Default("'x'", sql=True)) == "'x'"


@pytest.mark.parametrize("ddl", [
    "CREATE TABLE t (a INT, b TEXT, PRIMARY KEY (a), UNIQUE (b))",
    "CREATE TABLE t (a INT -- note, with comma\n)",
    "CREATE TABLE t (a INT /* ) , */, b TEXT CHECK (b <> ','), CONSTRAINT c CHECK (a > 0))",
    'CREATE TABLE "a(b" ("c)d" INT, [e,f] TEXT, `g)` REAL, FOREIGN KEY ("c)d") REFERENCES x(y))',
    "CREATE TABLE t (a INT, b TEXT DEFAULT 'x)y,z') WITHOUT ROWID",
])
def test_splice_adds_columns_after_the_last_column(ddl):
    spliced = splice_columns(ddl, ['"new one" TEXT DEFAULT \'n\'', '"n2" INTEGER'])
    conn = sqlite3.connect(":memory:")
    if "WITHOUT ROWID" in ddl:
        spliced = spliced.replace("(a INT,", "(a INT PRIMARY KEY,")
    conn.execute(spliced)
    name = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    cols = [r[1] for r in conn.execute("SELECT * FROM pragma_table_info(?)", (name,))]
    assert cols[-2:] == ["new one", "n2"]


def test_splice_rejects_what_it_cannot_parse():
    with pytest.raises(ValueError):
        splice_columns("CREATE TABLE t", ["x"])
