"""schema.json against its JSON Schema: a compiled validator decides, jsonschema words the problems."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Collection
from typing import Any, Optional

from selfheal.declare.document import SCHEMA_OF_SCHEMA, location, schema_digest


def structure_problems(doc: Any, settled: Collection[str] = ()) -> list[tuple[str, str]]:
    """Check the document against schema.schema.json; `settled` database entries (these very entries,
    under the same settings, passed before) are not checked again.

    A compiled validator (fastjsonschema: Python code generated from the same JSON Schema, about 7
    times faster) decides; only an invalid document pays for jsonschema, which words the messages."""
    import fastjsonschema

    validate = compiled_validator()
    if settled and isinstance(doc, dict) and isinstance(doc.get("databases"), dict):
        fresh = {key: entry for key, entry in doc["databases"].items() if key not in settled}
        try:
            validate({**doc, "databases": fresh})
            return []
        except (fastjsonschema.JsonSchemaException, RecursionError):
            pass  # decided on the whole document below
    try:
        validate(doc)
        return []
    except (fastjsonschema.JsonSchemaException, RecursionError) as exc:
        refusal = exc
    import jsonschema

    meta = json.loads(SCHEMA_OF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(meta)
    problems = []
    for error in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        problems.extend(_explain(error))
    if not problems:  # the two validators disagree: the stricter verdict stands (fail closed)
        name = str(getattr(refusal, "name", "") or "data")
        words = str(getattr(refusal, "message", "") or "is nested too deeply to validate")
        problems.append((name[5:] if name.startswith("data.") else "(top level)",
                         words[len(name):].strip() if words.startswith(name) else words))
    return problems


def compiled_validator() -> Callable[[Any], Any]:
    """The fast deciding validator: generated at development time when it matches schema.schema.json
    (see validatorgen), else compiled now."""
    from selfheal.declare import _structure_validator

    data = SCHEMA_OF_SCHEMA.read_bytes()
    if _structure_validator.SOURCE_DIGEST == schema_digest(data):
        return _structure_validator.validate
    import fastjsonschema

    return fastjsonschema.compile(json.loads(data))


def _explain(error: Any) -> list[tuple[str, str]]:
    where = location(error.absolute_path)
    if error.validator in ("oneOf", "anyOf") and error.context:
        # report the branch that matches the value's JSON type, not "not valid under any"
        relevant = [e for e in error.context if not (e.validator == "type" and not e.relative_path)]
        if relevant:
            return [p for e in relevant for p in _explain(e)]
        return [(where, f"expected {_describe_types(error)}, got {_json_type(error.instance)}")]
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        known = set(error.schema.get("properties", {}))
        out = []
        for key in error.instance:
            if key not in known:
                close = closest(key, allowed)
                hint = f"; did you mean {json.dumps(close)}?" if close else ""
                valid = f" (valid keys: {', '.join(allowed)})" if not close and allowed else ""
                out.append((where, f"unknown key {json.dumps(key)}{hint}{valid}"))
        return out
    if error.validator == "required":
        return [(where, error.message.replace("is a required property", "is required"))]
    if error.validator == "type":
        return [(where, f"expected {error.validator_value}, got {_json_type(error.instance)}")]
    if error.validator == "const":
        return [(where, f"must be {json.dumps(error.validator_value)}")]
    if error.validator in ("minLength", "pattern") and isinstance(error.instance, str):
        return [(where, "must not be empty" if not error.instance.strip() else error.message)]
    return [(where, error.message)]


def closest(key: str, allowed: list[str]) -> Optional[str]:
    """The valid key most likely meant: a shared prefix first ("enviroment" -> "env"), then similarity."""
    lowered = key.lower()
    prefixed = [a for a in allowed if len(a) >= 3 and (lowered.startswith(a) or a.startswith(lowered))]
    if prefixed:
        return max(prefixed, key=len)
    close = difflib.get_close_matches(lowered, allowed, n=1, cutoff=0.6)
    return close[0] if close else None


def _describe_types(error: Any) -> str:
    names = [str(s.get("type")) for s in error.validator_value if isinstance(s, dict)]
    return " or ".join(names) if names else "a different value"


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    return {dict: "object", list: "array", str: "string", int: "integer", float: "number"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


