"""Strict JSON: what a careful integrator expects a server to refuse rather than guess about.

Bytes that are not UTF-8, a key given twice (which one would win?), NaN and Infinity (not JSON), numbers
too long to be real, nesting deeper than any of our documents, and text no database should store (NUL, which
PostgreSQL refuses, and unpaired surrogates). Used for API bodies and for survey definitions uploaded on the
manage pages or given to `flask import-survey`: the same document is refused the same way everywhere.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

MAX_DEPTH = 32
MAX_NUMBER_DIGITS = 30
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


@dataclass
class JsonError(Exception):
    """What is wrong with the document; `status` and `code` are what the API answers with."""

    status: int
    code: str
    message: str
    field: str | None = None


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    data: dict = {}
    for key, value in pairs:
        if key in data:
            raise JsonError(400, "duplicate_key", f"the key {key[:64]!r} appears twice in one object", key[:64])
        data[key] = value
    return data


def _no_constant(name: str):
    raise JsonError(400, "invalid_json", f"{name} is not a JSON number")


def _number(text: str):
    if len(text.lstrip("-").replace(".", "").split("e")[0].split("E")[0]) > MAX_NUMBER_DIGITS:
        raise JsonError(400, "invalid_json", f"a number has more than {MAX_NUMBER_DIGITS} digits")
    if not any(c in text for c in ".eE"):
        return int(text)
    number = float(text)
    if not math.isfinite(number):
        raise JsonError(400, "invalid_json", "a number is too large")
    return number


def _check_shape(value: object) -> None:
    """Refuse nesting deeper than MAX_DEPTH, and text no database should store: NUL characters (PostgreSQL
    refuses them) and unpaired surrogates (not Unicode; `\\ud800` is valid JSON syntax). Without recursion."""
    pending = [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                raise JsonError(400, "invalid_text", "a string holds a NUL character or an unpaired surrogate")
        elif isinstance(item, dict | list):
            if level > MAX_DEPTH:
                raise JsonError(400, "too_deep", f"the JSON nests more than {MAX_DEPTH} levels")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending.extend((child, level + 1) for child in children)


def parse_json(raw: bytes) -> object:
    """One JSON document, strictly (see the module docstring); raises JsonError."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise JsonError(400, "invalid_encoding", f"the document is not valid UTF-8 (byte {error.start})") from None
    if not text.strip():
        raise JsonError(400, "invalid_json", "the document is empty; it should be a JSON document")
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant,
                          parse_int=_number, parse_float=_number)
    except RecursionError:
        raise JsonError(400, "too_deep", f"the JSON nests more than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as error:
        raise JsonError(400, "invalid_json", f"the document is not valid JSON: {error.msg} at line {error.lineno}, "
                                             f"column {error.colno}") from None
    _check_shape(data)
    return data
