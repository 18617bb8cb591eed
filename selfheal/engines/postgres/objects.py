"""Read what a PostgreSQL namespace holds beside its tables, each as the server writes it: extensions, enums,
domains and composite types, sequences, functions, triggers and comments (one query per kind).

The same reader serves both sides: the live namespace, and the scratch schema where declared statements
are run (always rolled back), so a declared object and a live one compare as the server wrote both."""

from __future__ import annotations

from collections import Counter
from typing import Any

from selfheal.model import SchemaObject
from selfheal.planning.sql import quote_ident, quote_literal

# objects an extension installed belong to it: never read as the namespace's own (classid first: pg_depend's
# index starts with it, and without it a fresh database's planner scans pg_depend once per object)
_OWN = ("NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '{catalog}'::regclass AND d.objid = {oid} "
        "AND d.deptype = 'e')")
_EXTENSIONS = "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY oid"
_TYPES = f"""
SELECT t.typname, t.typtype,
       ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder),
       format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault,
       ARRAY(SELECT 'CONSTRAINT ' || quote_ident(c.conname) || ' ' || pg_get_constraintdef(c.oid)
             FROM pg_constraint c WHERE c.contypid = t.oid ORDER BY c.conname),
       (SELECT collname FROM pg_collation co WHERE co.oid = t.typcollation AND t.typtype = 'd'
          AND t.typcollation <> (SELECT b.typcollation FROM pg_type b WHERE b.oid = t.typbasetype)),
       ARRAY(SELECT quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod)
             FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum)
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_class r ON r.oid = t.typrelid
WHERE n.nspname = %s AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND r.relkind = 'c'))
  AND {_OWN.format(catalog="pg_type", oid="t.oid")}
ORDER BY t.oid
"""
_SEQUENCES = """
SELECT c.relname, format_type(s.seqtypid, NULL), s.seqincrement, s.seqmin, s.seqmax, s.seqstart, s.seqcache,
       s.seqcycle, t.relname, a.attname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_sequence s ON s.seqrelid = c.oid
LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'a'
LEFT JOIN pg_class t ON t.oid = d.refobjid
LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
WHERE n.nspname = %s AND c.relkind = 'S'
  AND NOT EXISTS (SELECT 1 FROM pg_depend i WHERE i.classid = 'pg_class'::regclass AND i.objid = c.oid
                  AND i.deptype IN ('i', 'e'))
ORDER BY c.oid
"""
_FUNCTIONS = f"""
SELECT p.proname, pg_get_function_identity_arguments(p.oid), p.prokind,
       CASE WHEN p.prokind IN ('f', 'p', 'w') THEN pg_get_functiondef(p.oid) END, quote_ident(n.nspname)
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = %s AND {_OWN.format(catalog="pg_proc", oid="p.oid")}
ORDER BY p.oid
"""
_TRIGGERS = f"""
SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid), quote_ident(n.nspname)
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND NOT t.tgisinternal AND {_OWN.format(catalog="pg_trigger", oid="t.oid")}
ORDER BY c.oid, t.oid
"""
_COMMENTS = """
SELECT c.relname, a.attname, d.description
FROM pg_description d JOIN pg_class c ON c.oid = d.objoid AND d.classoid = 'pg_class'::regclass
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid AND d.objsubid > 0
WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND (d.objsubid = 0 OR a.attname IS NOT NULL)
ORDER BY c.oid, d.objsubid
"""
KINDS = ("extension", "enum", "type", "sequence", "function", "trigger", "comment")


def read_objects(conn: Any, schema: str, notes: list[str], kinds: tuple[str, ...] = KINDS) -> list[SchemaObject]:
    """Every object of the namespace beside its tables (and the database's extensions), as the server
    writes it (only those of `kinds`); what cannot be declared (aggregates, range types) goes to notes."""
    out = [SchemaObject("extension", name, key=name) for (name,) in conn.execute(_EXTENSIONS)] if (
        "extension" in kinds) else []
    out += _types(conn, schema, notes) if "type" in kinds else []
    out += _sequences(conn, schema, notes) if "sequence" in kinds else []
    out += _functions(conn, schema, notes) if "function" in kinds else []
    out += _triggers(conn, schema) if "trigger" in kinds else []
    out += _comments(conn, schema) if "comment" in kinds else []
    return out


def enum_sql(name: str, labels: tuple[str, ...]) -> str:
    """CREATE TYPE … AS ENUM with these labels in order."""
    return f"CREATE TYPE {quote_ident(name)} AS ENUM ({', '.join(quote_literal(label) for label in labels)})"


def _types(conn: Any, schema: str, notes: list[str]) -> list[SchemaObject]:
    out = []
    for name, kind, labels, base, not_null, default, checks, collation, fields in conn.execute(_TYPES, (schema,)):
        if kind == "e":
            out.append(SchemaObject("enum", name, enum_sql(name, tuple(labels)), tuple(labels), key=name))
        elif kind == "d":
            text = f"CREATE DOMAIN {quote_ident(name)} AS {base}"
            text += f" COLLATE {quote_ident(collation)}" if collation else ""
            text += f" DEFAULT {default}" if default is not None else ""
            text += " NOT NULL" if not_null else ""
            text += "".join(f" {check}" for check in checks)
            out.append(SchemaObject("type", name, text, key=name))
        elif kind == "c":
            out.append(SchemaObject("type", name, f"CREATE TYPE {quote_ident(name)} AS ({', '.join(fields)})",
                                    key=name))
        else:
            notes.append(f"range type {name}: left out (declare it by hand; schema.json carries enums, domains "
                         "and composite types)")
    return out


def _sequences(conn: Any, schema: str, notes: list[str]) -> list[SchemaObject]:
    out = []
    for name, kind, step, low, high, start, cache, cycle, table, column in conn.execute(_SEQUENCES, (schema,)):
        if table and name == f"{table}_{column}_seq":  # a serial column's own: the column's type says it
            continue
        text = (f"CREATE SEQUENCE {quote_ident(name)} AS {kind} INCREMENT BY {step} MINVALUE {low} "
                f"MAXVALUE {high} START WITH {start} CACHE {cache}{' CYCLE' if cycle else ' NO CYCLE'}")
        if table:
            notes.append(f"sequence {name} is owned by {table}.{column}: written as a sequence of its own (OWNED BY is "
                         "not carried; dropping the column keeps it)")
        out.append(SchemaObject("sequence", name, text, key=name))
    return out


def _functions(conn: Any, schema: str, notes: list[str]) -> list[SchemaObject]:
    rows = conn.execute(_FUNCTIONS, (schema,)).fetchall()
    counts = Counter(name for name, _, kind, _, _ in rows if kind != "a")
    out = []
    for name, args, kind, text, prefix in rows:
        if kind == "a":
            notes.append(f"aggregate {name}({args}): left out (declare it by hand)")
            continue
        head, _, rest = text.partition("\n")
        head = head.replace(f" {prefix}.", " ", 1)  # CREATE OR REPLACE FUNCTION app.f( → f(
        ident = f"{name}({args})"
        out.append(SchemaObject("function", ident, f"{head}\n{rest}".rstrip() + "\n", key=name if counts[
            name] == 1 else ident))
    return out


def _triggers(conn: Any, schema: str) -> list[SchemaObject]:
    rows = conn.execute(_TRIGGERS, (schema,)).fetchall()
    counts = Counter(name for _, name, _, _ in rows)
    out = []
    for table, name, text, prefix in rows:
        text = text.replace(f" ON {prefix}.", " ON ", 1)  # … ON app.film → ON film
        ident = f"{table}.{name}"
        out.append(SchemaObject("trigger", ident, text, key=name if counts[name] == 1 else ident))
    return out


def _comments(conn: Any, schema: str) -> list[SchemaObject]:
    return [SchemaObject("comment", f"{table}.{column}" if column else table, text,
                         key=f"{table}.{column}" if column else table)
            for table, column, text in conn.execute(_COMMENTS, (schema,))]


def comment_sql(ident: str, text: str, tables: dict[str, str]) -> str:
    """COMMENT ON TABLE or COLUMN for a comment named table or table.column (`tables`: folded → name)."""
    from selfheal.model import fold

    if fold(ident) in tables:
        return f"COMMENT ON TABLE {quote_ident(tables[fold(ident)])} IS {quote_literal(text)}"
    table, _, column = ident.rpartition(".")
    return f"COMMENT ON COLUMN {quote_ident(table)}.{quote_ident(column)} IS {quote_literal(text)}"


def by_name(objects: list[SchemaObject]) -> dict[tuple[str, str], SchemaObject]:
    """Objects keyed by (group, name)."""
    return {(obj.group, obj.name): obj for obj in objects}


def by_key_or_name(objects: list[SchemaObject]) -> dict[tuple[str, str], SchemaObject]:
    """Objects found by (group, key) or (group, name), the first of each standing (a function read twice)."""
    found: dict[tuple[str, str], SchemaObject] = {}
    for obj in objects:
        found.setdefault((obj.group, obj.key), obj)
        found.setdefault((obj.group, obj.name), obj)
    return found
