"""What text we accept from outside: the rules the edge applies to every body, form field and
query parameter, and the callback inbox to every body it stores.

Invariant: text that passes holds no C0 control character other than tab, line feed and
carriage return (a NUL cannot reach PostgreSQL, which refuses it mid-transaction), no lone
UTF-16 surrogate (it cannot be encoded to UTF-8), and JSON that passes nests at most
``MAX_JSON_DEPTH`` levels (Python's decoder recurses, so a deep body must be refused before
it is decoded). A refusal names where the text was, never the text itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl

MAX_JSON_DEPTH = 32
"""Arrays and objects inside each other; Daraja's deepest body nests 5."""
MAX_WHERE_CHARS = 80
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_FORBIDDEN_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")
_OPENERS = frozenset(b"[{")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.\[\]-]")


class InputRefused(ValueError):
    """Input holding a control character or a lone surrogate, or JSON nested too deep."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def _where(name: str) -> str:
    """A field's name as safe to echo: odd characters become ``?``, and it is cut short."""
    return _SAFE_NAME.sub("?", name)[:MAX_WHERE_CHARS]


def check_text(value: str, where: str) -> None:
    found = _FORBIDDEN.search(value)
    if found is not None:
        raise InputRefused(
            "invalid_text",
            f"{_where(where)} holds a control character or a lone surrogate "
            f"(U+{ord(found.group()):04X}); send printable text",
        )


def check_raw_bytes(raw: bytes, where: str) -> None:
    """A body that is text: no raw control byte (outside tab, LF, CR) anywhere."""
    found = _FORBIDDEN_BYTES.search(raw)
    if found is not None:
        raise InputRefused(
            "invalid_text",
            f"{_where(where)} holds a raw control byte (0x{found.group()[0]:02X}); "
            "send printable text",
        )


def json_depth(raw: bytes) -> int:
    """How deep arrays and objects nest in a JSON text, counted without decoding it (strings
    are skipped, so brackets inside them do not count)."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_JSON_STRING.sub(b'""', raw)):
        if bracket[0] in _OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(depth - 1, 0)
    return deepest


def check_json_bytes(raw: bytes, where: str = "body") -> object | None:
    """Refuse a body with raw control bytes, JSON nested deeper than ``MAX_JSON_DEPTH``, or a
    decoded string (key or value) that ``check_text`` refuses. Returns the decoded document,
    or None when the body is not JSON (its reader answers that its own way)."""
    check_raw_bytes(raw, where)
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise InputRefused(
            "json_too_deep", f"{where}: JSON nests deeper than {MAX_JSON_DEPTH} levels"
        )
    try:
        document: object = json.loads(raw)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
        return None
    for path, text in _strings(document, "$"):
        check_text(text, f"{where} {path}")
    return document


def _strings(value: object, path: str) -> Iterable[tuple[str, str]]:
    """Every key and string value of a decoded document, with where it is (depth is bounded
    by the check before decoding)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield path, key
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def check_form(raw: bytes, where: str) -> None:
    """A URL-encoded form or query string: every name and value, once percent-decoded."""
    text = raw.decode("latin-1")
    for name, value in parse_qsl(text, keep_blank_values=True, errors="replace"):
        check_text(name, f"{where} field name")
        check_text(value, f"{where} field {name}")
