"""Loading schema.json: every problem reported at once, with its location and a useful message."""

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from selfheal.declare.document import location
from selfheal.declare.loader import SchemaError, load

ROOT = Path(__file__).resolve().parent.parent


def problems_of(tmp_path, text):
    path = tmp_path / "schema.json"
    path.write_text(text if isinstance(text, str) else json.dumps(text))
    with pytest.raises(SchemaError) as info:
        load(path)
    return info.value.problems


def table_doc(columns, **table):
    return {"version": 1, "databases": {"app/data.db": {"tables": {"users": {"columns": columns, **table}}}}}


def test_demo_schema_loads():
    project = load(ROOT / "schema.json")
    assert [d.path for d in project.databases] == ["app/data.db", "data/auth.db", "data/chat.db", "data/market.db"]
    tables = {t.name for d in project.databases for t in d.tables}
    assert {"product_catalog", "market_ticks", "price_proposals", "ingestion_jobs", "users", "session_tokens",
            "threads", "messages", "summaries", "market_data", "pricing_list", "currencies"} == tables
    assert project.checks == ("checks.py",)
    assert [dict(r)["code"] for r in project.databases[0].table("currencies").rows] == ["USD", "EUR", "GBP", "JPY"]
    catalog = project.databases[0].table("product_catalog")
    assert catalog.column("updated_at") and catalog.column("source_url")
    users = project.databases[1].table("users")
    assert users.column("two_factor_enabled") and users.column("totp_secret")
    assert project.databases[2].table("threads").column("updated_at")


def test_location_quotes_what_needs_it():
    assert location(["databases", "app/data.db", "tables", "users", "columns", "email"]) == \
        'databases."app/data.db".tables.users.columns.email'
    assert location(["directories", 2]) == "directories[2]"


def test_invalid_json_gives_line_and_column(tmp_path):
    [(where, message)] = problems_of(tmp_path, '{"version": 1,\n  "databases": {,}}')
    assert where == "line 2, column 17" and "invalid JSON" in message


def test_duplicate_keys_are_errors(tmp_path):
    [(where, message)] = problems_of(tmp_path, '{"version": 1, "databases": {"a.db": {"tables": {}}, '
                                               '"a.db": {"tables": {}}}}')
    assert where == "databases" and 'duplicate key "a.db"' in message


def test_unknown_keys_name_the_closest_valid_key_and_all_problems_come_at_once(tmp_path):
    doc = table_doc({"id": {"type": "INTEGER", "primery_key": True}}, indexs=[])
    doc["enviroment"] = {}
    found = problems_of(tmp_path, doc)
    messages = {m for _, m in found}
    assert 'unknown key "enviroment"; did you mean "env"?' in messages
    assert 'unknown key "indexs"; did you mean "indexes"?' in messages
    assert 'unknown key "primery_key"; did you mean "primary_key"?' in messages
    assert ('databases."app/data.db".tables.users.columns.id', 'unknown key "primery_key"; did you mean '
            '"primary_key"?') in found


@pytest.mark.parametrize("doc, where, words", [
    ({"databases": {}}, "(top level)", "'version' is required"),
    ({"version": 2}, "version", "must be 1"),
    (table_doc({"id": ""}), 'databases."app/data.db".tables.users.columns.id', "must not be empty"),
    (table_doc({"id": {"type": " "}}), 'databases."app/data.db".tables.users.columns.id.type', "must not be empty"),
    (table_doc({"id": "TEXT, evil INT"}), 'databases."app/data.db".tables.users.columns.id.type',
     "not an SQLite type name"),
    (table_doc({"id": "INTEGER"}, indexes=[{"columns": ["nope"]}]),
     'databases."app/data.db".tables.users.indexes[0].columns', 'index column "nope" is not declared'),
    (table_doc({"id": {"type": "INTEGER", "references": "groups.id"}}),
     'databases."app/data.db".tables.users.columns.id.references', '"groups.id" does not name a declared column'),
    (table_doc({"at": {"type": "TEXT", "default": {"sql": "1) CHECK (1"}}}),
     'databases."app/data.db".tables.users.columns.at.default.sql', "not one constant SQL expression"),
    (table_doc({"at": {"type": "TEXT", "default": {"sql": "(SELECT 1)"}}}),
     'databases."app/data.db".tables.users.columns.at.default.sql', "not a constant SQL expression"),
    (table_doc({"at": {"type": "TEXT", "default": {"sql": "1; DROP TABLE x"}}}),
     'databases."app/data.db".tables.users.columns.at.default.sql', "constant SQL expression"),
    (table_doc({"id": "INTEGER", "ID": "TEXT"}), 'databases."app/data.db".tables.users.columns.ID',
     "differ only in case"),
    (table_doc({"id": "INTEGER"}, primary_key=["nope"]), 'databases."app/data.db".tables.users.primary_key',
     "not declared"),
    ({"version": 1, "databases": {"../outside.db": {}}}, 'databases."../outside.db"', "must stay inside"),
    ({"version": 1, "databases": {"/etc/x.db": {}}}, 'databases."/etc/x.db"', "not absolute"),
    ({"version": 1, "databases": {"a/../../x.db": {}}}, 'databases."a/../../x.db"', "must stay inside"),
    ({"version": 1, "directories": ["../up"]}, "directories[0]", "must stay inside"),
    ({"version": 1, "databases": {"a.db": {}, "./a.db": {}}}, 'databases."./a.db"', "same file"),
    ({"version": 1, "app": {"command": 5}}, "app.command", "expected string or array, got integer"),
])
def test_each_malformed_case_names_its_problem(tmp_path, doc, where, words):
    found = problems_of(tmp_path, doc)
    assert any(w == where and words in m for w, m in found), found


def test_missing_file(tmp_path):
    with pytest.raises(SchemaError) as info:
        load(tmp_path / "nope.json")
    assert "not found" in info.value.problems[0][1]


def test_references_resolve_names_with_dots(tmp_path):
    path = tmp_path / "schema.json"
    path.write_text(json.dumps({"version": 1, "databases": {"a.db": {"tables": {
        "a.b": {"columns": {"c.d": {"type": "INTEGER", "primary_key": True}}},
        "t": {"columns": {"r": {"type": "INTEGER", "references": "a.b.c.d"}}}}}}}))
    project = load(path)
    assert project.databases[0].table("t").column("r").references == ("a.b", "c.d")


def test_references_must_point_at_a_key(tmp_path):
    path = tmp_path / "schema.json"
    path.write_text(json.dumps({"version": 1, "databases": {"a.db": {"tables": {
        "p": {"columns": {"id": {"type": "INTEGER", "primary_key": True}, "code": "TEXT", "name": "TEXT"},
              "indexes": [{"columns": ["code"], "unique": True}]},
        "t": {"columns": {"a": {"type": "INTEGER", "references": "p.id"},
                          "b": {"type": "TEXT", "references": "p.code"},
                          "c": {"type": "TEXT", "references": "p.name"}}}}}}}))
    with pytest.raises(SchemaError) as info:
        load(path)
    assert [where for where, _ in info.value.problems] == ['databases."a.db".tables.t.columns.c.references']
    assert "foreign key mismatch" in info.value.problems[0][1]


def test_column_level_primary_keys_make_a_composite_key(tmp_path):
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(table_doc({"a": {"type": "TEXT", "primary_key": True},
                                          "b": {"type": "TEXT", "primary_key": True}})))
    assert load(path).databases[0].tables[0].primary_key == ("a", "b")


def _paths(node, prefix=()):
    """Every location in a JSON document (as a key path)."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, prefix + (i,))


_JSON = st.recursive(st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(
    ["", " ", "TEXT", "INTEGER", "x.y", "CASCADE", "a b", "sql", "type", "columns"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(
        ["type", "sql", "columns", "column", "name", "unique", "default", "tables", "x", "primary_key"]),
        inner, max_size=3), max_leaves=6)


@given(data=st.data())
def test_the_deciding_validator_agrees_with_jsonschema(data):
    """The generated validator decides alone whenever it accepts: it must accept exactly what the JSON
    Schema accepts (any value put anywhere into the demo's schema.json)."""
    import fastjsonschema
    import jsonschema

    from selfheal.declare.structure import SCHEMA_OF_SCHEMA, compiled_validator

    doc = json.loads((ROOT / "schema.json").read_text())
    path = data.draw(st.sampled_from(list(_paths(doc))[1:]))
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = data.draw(_JSON)
    expected = not list(jsonschema.Draft202012Validator(json.loads(SCHEMA_OF_SCHEMA.read_text())).iter_errors(doc))
    try:
        compiled_validator()(doc)
        accepted = True
    except fastjsonschema.JsonSchemaException:
        accepted = False
    assert accepted == expected


def test_plain_columns_are_shared_but_never_across_values_python_calls_equal(tmp_path):
    """Identical plain columns are one object (memory at 10,000 tables); 1, True, 1.0, 0.0 and -0.0 are
    equal to Python but different defaults in SQL, so each keeps its own."""
    values = [1, True, 1.0, 0.0, -0.0, 0, False, "1", {"sql": "1"}]
    tables = {f"t{i}_{copy}": {"columns": {"a": {"type": "NUMERIC", "default": value}, "b": "TEXT"}}
              for i, value in enumerate(values) for copy in range(2)}
    path = tmp_path / "schema.json"
    path.write_text(json.dumps({"version": 1, "databases": {"x.db": {"tables": tables}}}))
    [db] = load(path).databases
    for i, value in enumerate(values):
        first, second = db.table(f"t{i}_0"), db.table(f"t{i}_1")
        default = first.column("a").default
        expected = value["sql"] if isinstance(value, dict) else value
        assert type(default.value) is type(expected) and repr(default.value) == repr(expected)
        assert default.sql == isinstance(value, dict)
        assert first.column("b") is second.column("b")
        if not isinstance(value, float):
            assert first.column("a") is second.column("a")
