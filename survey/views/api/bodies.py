"""Request bodies: strict JSON (survey/strict_json.py), then a JSON Schema (draft 2020-12, the dialect of
OpenAPI 3.1). Schema errors are turned into one sentence naming the field (`contacts[3].email`), never
echoing a huge value back.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

from survey.strict_json import JsonError

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError


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
        "pattern": lambda: "is not in the expected form" + (f" ({error.schema['description']})"
                                                            if error.schema.get("description") else ""),
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
    """Raise JsonError (422) for the most telling problem the schema finds; `root` names the value itself
    (a query parameter) when it is not the body."""
    # Imported on the first API request: jsonschema with `referencing` and its bundled meta-schemas is about
    # 0.1 s, a tenth of every command's and worker's start, and most processes never validate a body.
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    error = best_match(validator.iter_errors(data))  # descends into anyOf to the most telling problem
    if error is not None:
        message, where = _sentence(error, root)
        code = {"additionalProperties": "unknown_field", "required": "required"}.get(error.validator, "invalid")
        raise JsonError(422, code, message, where)
