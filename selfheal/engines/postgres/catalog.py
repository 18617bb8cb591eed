"""Read a PostgreSQL namespace into the shared model, in a fixed number of catalogue queries."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, Optional

from selfheal.model import Column, Database, Default, ForeignKey, Index, Table, fold
from selfheal.planning.sql import quote_ident

_COLUMNS = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated,
       pg_get_serial_sequence(quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.attname),
       CASE WHEN a.attcollation <> t.typcollation THEN co.collname END
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_collation co ON co.oid = a.attcollation
WHERE n.nspname = %s AND c.relkind IN ('r', 'p')
ORDER BY c.oid, a.attnum
"""
_CONSTRAINTS = """
SELECT cl.relname, con.conname, con.contype,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i),
       fcl.relname,
       ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i),
       con.confdeltype, con.confupdtype, con.conindid, pg_get_constraintdef(con.oid),
       con.condeferrable, con.condeferred, con.confmatchtype
FROM pg_constraint con
JOIN pg_class cl ON cl.oid = con.conrelid
JOIN pg_namespace n ON n.oid = cl.relnamespace
LEFT JOIN pg_class fcl ON fcl.oid = con.confrelid
WHERE n.nspname = %s AND con.contype IN ('p', 'u', 'f', 'c', 'x')
ORDER BY cl.oid, con.oid
"""
_INDEXES = """
SELECT t.relname, i.relname, ix.indexrelid, ix.indisunique, ix.indpred IS NOT NULL, pg_get_indexdef(ix.indexrelid),
       ARRAY(SELECT a.attname FROM unnest(ix.indkey::int2[]) WITH ORDINALITY k(n, i)
             LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.n
             WHERE k.i <= ix.indnkeyatts ORDER BY k.i)
FROM pg_index ix
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = %s AND t.relkind IN ('r', 'p')
ORDER BY t.oid, i.oid
"""
# a view selfheal made carries its declared SELECT as its comment, so it compares by what was declared;
# anyone who may comment on the view can write that comment, so a snapshot takes the server's own text
_VIEWS = """
SELECT c.relname, coalesce(obj_description(c.oid, 'pg_class'), pg_get_viewdef(c.oid))
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relkind = 'v' ORDER BY c.oid
"""
_SERVER_VIEWS = """
SELECT c.relname, pg_get_viewdef(c.oid)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relkind = 'v' ORDER BY c.oid
"""
_NAMES = """
SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s
UNION ALL SELECT conname FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace WHERE n.nspname = %s
"""
IDENTITY = {"d": "by default", "a": "always"}
SERIALS = {"integer": "serial", "bigint": "bigserial", "smallint": "smallserial"}
ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
_CHECK = re.compile(r"^CHECK \(|\)( NOT VALID)?$")
_CAST = re.compile(r"^(?P<value>'(?:[^']|'')*'|-?\d+(\.\d+)?)::[\w .\[\]\"()]+$")


def check_expression(definition: str) -> str:
    """A CHECK constraint's expression as the server writes it, from pg_get_constraintdef."""
    return _CHECK.sub("", definition).strip()


def live_default(expr: Optional[str]) -> Optional[Default]:
    """A column default as the server shows it, without the cast it adds to literals ('x'::text)."""
    if expr is None:
        return None
    match = _CAST.match(expr)
    return Default(match.group("value") if match else expr, sql=True)


def _serial(table: str, column: str, type_name: str, default: Optional[str], sequence: Optional[str]) -> str:
    """serial, bigserial or smallserial for a column whose default draws from the sequence it owns under
    the name CREATE TABLE gives it ("" otherwise: a sequence of its own, and its nextval default)."""
    if not sequence or type_name not in SERIALS or not default or not default.startswith("nextval("):
        return ""
    own = f"{table}_{column}_seq"
    return SERIALS[type_name] if sequence.rsplit(".", 1)[-1].strip('"') == own and own in default else ""


def _actions(on_delete: str, on_update: str, deferrable: bool, deferred: bool, match: str) -> str:
    """A foreign key's clause after REFERENCES as the loader writes it: MATCH FULL, ON DELETE / UPDATE,
    DEFERRABLE [INITIALLY DEFERRED]."""
    parts = ["MATCH FULL" if match == "f" else ""]
    parts += [f"ON {what} {ACTIONS[code]}" for what, code in (("DELETE", on_delete), ("UPDATE", on_update))
              if code and code != "a"]
    parts.append("DEFERRABLE INITIALLY DEFERRED" if deferred else "DEFERRABLE" if deferrable else "")
    return " ".join(p for p in parts if p)


def read(conn: Any, namespace: str, label: str, server_text: bool = False) -> Database:
    """Every table of a namespace: columns, keys, unique constraints, foreign keys, indexes, views (each
    view as declared when selfheal made it, or with server_text as the server itself writes it)."""
    columns: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for table, *row in conn.execute(_COLUMNS, (namespace,)):
        columns[table].append(tuple(row))
    pks: dict[str, tuple[str, ...]] = {}
    unique_sets: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    nulls_not_distinct: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    unique_names: dict[str, list[tuple[tuple[str, ...], str]]] = defaultdict(list)
    constraint_index: dict[int, str] = {}
    refs: dict[str, dict[str, tuple[str, str, str]]] = defaultdict(dict)
    composite: dict[str, list[ForeignKey]] = defaultdict(list)
    checks: dict[str, list[str]] = defaultdict(list)
    for (table, name, kind, cols, parent, parent_cols, on_delete, on_update, index_oid, definition, deferrable,
         deferred, match) in conn.execute(_CONSTRAINTS, (namespace,)):
        clause = _actions(on_delete, on_update, deferrable, deferred, match) if kind == "f" else ""
        if kind == "x":  # an exclusion constraint's index is the constraint's (the snapshot notes it)
            constraint_index[index_oid] = "x"
        elif kind == "c":
            checks[table].append(check_expression(definition))
        elif kind == "p":
            pks[table] = tuple(cols)
            constraint_index[index_oid] = "pk"
        elif kind == "u":
            unique_sets[table].append(tuple(cols))
            if definition.startswith("UNIQUE NULLS NOT DISTINCT"):
                nulls_not_distinct[table].append(tuple(cols))
            unique_names[table].append((tuple(cols), name))
            constraint_index[index_oid] = "u"
        elif len(cols) == 1:
            refs[table][fold(cols[0])] = (parent, parent_cols[0], clause)
        else:
            composite[table].append(ForeignKey(tuple(cols), parent, tuple(parent_cols), clause))
    indexes: dict[str, list[Index]] = defaultdict(list)
    for table, name, oid, unique, partial, definition, cols in conn.execute(_INDEXES, (namespace,)):
        indexes[table].append(Index(columns=tuple(cols), unique=bool(unique), name=name,
                                    origin=constraint_index.get(oid, "c"), partial=bool(partial), sql=definition))
    tables = []
    for name, rows in columns.items():
        table_refs = refs.get(name, {})
        cols = []
        for col, ctype, notnull, default, identity, generated, sequence, collation in rows:
            serial = _serial(name, col, ctype, default, sequence)  # its default is the serial's own
            cols.append(Column(
                name=col, type=serial or ctype, not_null=bool(notnull),
                default=live_default(default) if generated != "s" and not serial else None,
                references=table_refs[fold(col)][:2] if fold(col) in table_refs else None,
                fk_actions=table_refs[fold(col)][2] if fold(col) in table_refs else "",
                generated=default if generated == "s" else "", stored=generated == "s",
                hidden=generated == "s", identity=IDENTITY.get(identity, ""), collate=collation or ""))
        tables.append(Table(name=name, columns=tuple(cols), primary_key=pks.get(name, ()),
                            indexes=tuple(indexes.get(name, ())), foreign_keys=tuple(composite.get(name, ())),
                            checks=tuple(checks.get(name, ())),
                            nulls_not_distinct=tuple(nulls_not_distinct.get(name, ())),
                            unique_names=tuple(unique_names.get(name, ()))))
    views = tuple((name, f"CREATE VIEW {quote_ident(name)} AS {text}")
                  for name, text in conn.execute(_SERVER_VIEWS if server_text else _VIEWS, (namespace,)))
    names = frozenset(fold(n) for (n,) in conn.execute(_NAMES, (namespace, namespace)))
    return Database(path=label, tables=tuple(tables), views=views, object_names=names, namespace=namespace)
