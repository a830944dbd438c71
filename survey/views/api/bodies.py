"""Request bodies: strict JSON, then a JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1).

Strict means what a careful integrator expects a server to refuse rather than guess about: bytes that are
not UTF-8, a key given twice (which one would win?), NaN and Infinity (not JSON), numbers too long to be
real, and nesting deeper than any of our documents. Schema errors are turned into one sentence naming the
field (`contacts[3].email`), never echoing a huge value back.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

MAX_DEPTH = 32
MAX_NUMBER_DIGITS = 30
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


@dataclass
class BodyError(Exception):
    status: int
    code: str
    message: str
    field: str | None = None


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    data: dict = {}
    for key, value in pairs:
        if key in data:
            raise BodyError(400, "duplicate_key", f"the key {key[:64]!r} appears twice in one object", key[:64])
        data[key] = value
    return data


def _no_constant(name: str):
    raise BodyError(400, "invalid_json", f"{name} is not a JSON number")


def _number(text: str):
    if len(text.lstrip("-").replace(".", "").split("e")[0].split("E")[0]) > MAX_NUMBER_DIGITS:
        raise BodyError(400, "invalid_json", f"a number has more than {MAX_NUMBER_DIGITS} digits")
    if not any(c in text for c in ".eE"):
        return int(text)
    number = float(text)
    if not math.isfinite(number):
        raise BodyError(400, "invalid_json", "a number is too large")
    return number


def _check_shape(value: object) -> None:
    """Refuse nesting deeper than MAX_DEPTH, and text no database should store: NUL characters (PostgreSQL
    refuses them) and unpaired surrogates (not Unicode; `\\ud800` is valid JSON syntax). Without recursion."""
    pending = [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                raise BodyError(400, "invalid_text", "a string holds a NUL character or an unpaired surrogate")
        elif isinstance(item, dict | list):
            if level > MAX_DEPTH:
                raise BodyError(400, "too_deep", f"the JSON nests more than {MAX_DEPTH} levels")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending.extend((child, level + 1) for child in children)


def parse_json(raw: bytes) -> object:
    """One JSON document, strictly (see the module docstring); raises BodyError."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BodyError(400, "invalid_encoding", f"the body is not valid UTF-8 (byte {error.start})") from None
    if not text.strip():
        raise BodyError(400, "invalid_json", "the body is empty; send a JSON document")
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant,
                          parse_int=_number, parse_float=_number)
    except RecursionError:
        raise BodyError(400, "too_deep", f"the JSON nests more than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as error:
        raise BodyError(400, "invalid_json", f"the body is not valid JSON: {error.msg} at line {error.lineno}, "
                                             f"column {error.colno}") from None
    _check_shape(data)
    return data


def field_path(parts) -> str | None:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or None


def _sentence(error: ValidationError, root: str | None) -> tuple[str, str | None]:
    """A short message naming what is wrong, and the field it is about."""
    where = field_path([root, *error.absolute_path] if root else error.absolute_path)
    kind, expected = error.validator, error.validator_value
    if kind == "required":
        missing = next((name for name in expected if isinstance(error.instance, dict) and name not in error.instance),
                       expected[0])
        full = f"{where}.{missing}" if where else missing
        return f"{full} is required", full
    if kind in ("additionalProperties", "unevaluatedProperties"):
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        name = str(extra[0])[:64] if extra else "?"
        full = f"{where}.{name}" if where else name
        return f"unknown field {name!r}", full
    subject = where or "the body"
    messages = {
        "type": lambda: f"must be {_a(expected)}",
        "enum": lambda: "must be one of " + ", ".join(json.dumps(v) for v in expected),
        "const": lambda: f"must be {json.dumps(expected)}",
        "maxLength": lambda: f"must be at most {expected} characters long",
        "minLength": lambda: f"must be at least {expected} characters long" if expected > 1 else "must not be empty",
        "maxItems": lambda: f"must have at most {expected} items",
        "minItems": lambda: f"must have at least {expected} items",
        "maxProperties": lambda: f"must have at most {expected} entries",
        "minimum": lambda: f"must be at least {expected}",
        "maximum": lambda: f"must be at most {expected}",
        "pattern": lambda: "is not in the expected form",
        "format": lambda: f"must be a valid {expected}",
        "uniqueItems": lambda: "must not repeat an item",
    }
    return f"{subject} {messages.get(kind, lambda: 'is not valid')()}", where


def _a(types) -> str:
    names = {"object": "an object", "array": "an array", "string": "a string", "integer": "an integer",
             "number": "a number", "boolean": "true or false", "null": "null"}
    if isinstance(types, str):
        types = [types]
    return " or ".join(names.get(name, name) for name in types)


def validate(data: object, schema: dict, *, root: str | None = None) -> None:
    """Raise BodyError (422) for the most telling problem the schema finds; `root` names the value itself
    (a query parameter) when it is not the body."""
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    error = best_match(validator.iter_errors(data))  # descends into anyOf to the most telling problem
    if error is not None:
        message, where = _sentence(error, root)
        code = {"additionalProperties": "unknown_field", "required": "required"}.get(error.validator, "invalid")
        raise BodyError(422, code, message, where)
