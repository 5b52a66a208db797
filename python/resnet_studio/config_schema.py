"""Checks a value against the JSON Schema subset that ``scripts/genTrainingSchema.ts`` emits for the training
contract (``run_config.schema.json`` beside this file): ``type``, ``enum``, ``minimum``/``maximum``,
``exclusiveMinimum``/``exclusiveMaximum``, ``minLength``, ``items``, ``minItems``/``maxItems``, ``required``
and ``additionalProperties: false``. The user's Python need not have the ``jsonschema`` package, and the
messages are worded exactly as the TypeScript validator words them (``src/protocol/trainingFields.ts``), so
a bad config reads the same whichever runner refuses it; ``test/training/pythonConfig.test.ts`` holds the
two to that.
"""

import json
import math
import os

SCHEMA_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "run_config.schema.json")


def load_schema(path=SCHEMA_FILE):
    with open(path, "r", encoding="utf-8") as f:
        return json.load(f)


def _show(value):
    """The value as JavaScript's JSON.stringify writes it (3.0 is 3)."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_show(v) for v in value) + "]"
    if isinstance(value, float) and not math.isfinite(value):
        return "null"
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def is_integer(value):
    """JSON Schema's integer: any number without a fractional part (bool is not a number here)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value) and value.is_integer()


def is_number(value):
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def check_value(name, schema, value):
    """What is wrong with one value (named ``name`` in the message), or None."""
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    if value is None and "null" in types:
        return None
    kind = next(t for t in types if t != "null")
    if kind in ("integer", "number"):
        ok = is_integer(value) if kind == "integer" else is_number(value)
        if not ok:
            return "%s must be %s, got %s" % (name, "an integer" if kind == "integer" else "a number", _show(value))
        if "minimum" in schema and value < schema["minimum"]:
            return "%s must be >= %s, got %s" % (name, _show(schema["minimum"]), _show(value))
        if "maximum" in schema and value > schema["maximum"]:
            return "%s must be <= %s, got %s" % (name, _show(schema["maximum"]), _show(value))
        if "exclusiveMinimum" in schema and not value > schema["exclusiveMinimum"]:
            return "%s must be > %s, got %s" % (name, _show(schema["exclusiveMinimum"]), _show(value))
        if "exclusiveMaximum" in schema and not value < schema["exclusiveMaximum"]:
            return "%s must be < %s, got %s" % (name, _show(schema["exclusiveMaximum"]), _show(value))
        return None
    if kind == "boolean":
        return None if isinstance(value, bool) else "%s must be true or false, got %s" % (name, _show(value))
    if kind == "string":
        if not isinstance(value, str):
            return "%s must be a string, got %s" % (name, _show(value))
        allowed = [e for e in schema.get("enum", []) if e is not None]
        if "enum" in schema and value not in allowed:
            return "%s must be one of %s, got %s" % (name, ", ".join(_show(e) for e in allowed), _show(value))
        if "minLength" in schema and len(value) < schema["minLength"]:
            return "%s must not be empty" % name
        return None
    if kind == "array":
        if not isinstance(value, list):
            return "%s must be a list, got %s" % (name, _show(value))
        lo, hi = schema.get("minItems"), schema.get("maxItems")
        if lo is not None and lo == hi and len(value) != lo:
            return "%s must have %d items, got %s" % (name, lo, _show(value))
        if lo is not None and len(value) < lo:
            return "%s must have at least %d items, got %s" % (name, lo, _show(value))
        if hi is not None and len(value) > hi:
            return "%s must have at most %d items, got %s" % (name, hi, _show(value))
        for i, item in enumerate(value):
            bad = check_value("%s[%d]" % (name, i), schema["items"], item)
            if bad:
                return bad
        return None
    raise ValueError("schema type %r is outside the subset this validator reads" % (kind,))


def validate_object(schema, raw):
    """Every problem with ``raw`` as the schema's object: missing and bad fields in the schema's order, then
    unknown keys in the object's order. Empty when it is valid."""
    if not isinstance(raw, dict):
        return ["must be a JSON object"]
    problems = []
    required = set(schema.get("required", []))
    properties = schema["properties"]
    for key, sub in properties.items():
        if key not in raw:
            if key in required:
                problems.append("'%s' is missing" % key)
            continue
        bad = check_value(key, sub, raw[key])
        if bad:
            problems.append(bad)
    if schema.get("additionalProperties") is False:
        problems.extend("unknown key '%s'" % key for key in raw if key not in properties)
    return problems


def defaults_of(schema):
    return {key: sub["default"] for key, sub in schema["properties"].items() if "default" in sub}


def coerce_integers(schema, cfg):
    """An integral float (3.0) is a valid integer; Python's ranges and slices need it as an int."""
    for key, sub in schema["properties"].items():
        value = cfg.get(key)
        if sub.get("type") == "integer" and isinstance(value, float):
            cfg[key] = int(value)
        elif sub.get("type") == "array" and sub.get("items", {}).get("type") == "integer" and isinstance(value, list):
            cfg[key] = [int(v) if isinstance(v, float) else v for v in value]
    return cfg
