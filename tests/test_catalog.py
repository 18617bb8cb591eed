"""The one-query-per-kind catalogue agrees with sqlite-utils' per-table introspection on varied schemas."""

import sqlite3

import pytest
import sqlite_utils

from selfheal.engines.sqlite import catalog

SCHEMAS = [
    ["CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT 'x', score REAL DEFAULT 0)",
     "CREATE INDEX a_name ON a (name)", "CREATE UNIQUE INDEX a_score ON a (score, name)"],
    ['CREATE TABLE "Order Details" ("Order ID" INT, "Product ID" INT, qty INT DEFAULT (1 + 1), '
     'PRIMARY KEY ("Order ID", "Product ID")) WITHOUT ROWID',
     'CREATE TABLE p (id INTEGER PRIMARY KEY, o INT REFERENCES "Order Details", t TEXT UNIQUE)'],
    ['CREATE TABLE "a""b" ("c]d" TEXT COLLATE NOCASE, e BLOB, f DATETIME DEFAULT CURRENT_TIMESTAMP)',
     'CREATE INDEX "i""x" ON "a""b" ("c]d", e)', "CREATE VIEW v AS SELECT * FROM \"a\"\"b\""],
    ["CREATE TABLE g (a INT, b INT GENERATED ALWAYS AS (a * 2) VIRTUAL, c TEXT)",
     "CREATE INDEX g_expr ON g (lower(c))", "CREATE INDEX g_part ON g (a) WHERE a > 0"],
]


@pytest.mark.parametrize("statements", SCHEMAS)
def test_catalog_matches_sqlite_utils(statements):
    conn = sqlite3.connect(":memory:")
    for statement in statements:
        conn.execute(statement)
    ours = catalog.read(conn, "x")
    theirs = sqlite_utils.Database(conn, execute_plugins=False)
    assert sorted(t.name for t in ours.tables) == sorted(theirs.table_names())
    for table in ours.tables:
        su = theirs[table.name]
        assert [c.name for c in table.columns if not c.hidden] == [c.name for c in su.columns]
        assert [c.type for c in table.columns if not c.hidden] == [c.type for c in su.columns]
        assert [c.not_null for c in table.columns if not c.hidden] == [bool(c.notnull) for c in su.columns]
        assert [c.default.value if c.default else None for c in table.columns if not c.hidden] == [
            c.default_value for c in su.columns]
        assert list(table.primary_key) == (su.pks if su.pks != ["rowid"] else [])
        assert sorted((i.name, i.unique) for i in table.indexes if i.origin == "c") == sorted(
            (i.name, bool(i.unique)) for i in su.indexes if i.origin == "c")
        su_fks = set()
        for fk in su.foreign_keys:  # an implicit target is the parent's primary key, if it has one column
            parent_pks = theirs[fk.other_table].pks
            target = fk.other_column or (parent_pks[0] if len(parent_pks) == 1 else None)
            if target:
                su_fks.add((fk.column, fk.other_table, target))
        ours_fks = {(c.name, *c.references) for c in table.columns if c.references}
        assert ours_fks == su_fks
