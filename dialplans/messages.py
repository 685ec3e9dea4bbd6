"""Pydantic's validation errors, retold in the words of the dialplan language.

Each error becomes a node path in the YAML document (pydantic's union tags
taken out of its location), whether the fault is the key itself rather than
its value, and a message a telecom engineer can act on.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Callable
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from dialplans.base import (
    AGENT_ID_PATTERN,
    DIGIT_KEY_PATTERN,
    HANGUP_CAUSE_PATTERN,
    MAILBOX_PATTERN,
    NAME_PATTERN,
    NUMBER_PATTERN,
)
from dialplans.campaign_models import DELAY_PATTERN
from dialplans.crm_models import PHONE_PATTERN, PREFIX_PATTERN, REGION_PATTERN, SAY_TAGS
from dialplans.errors import NodePath, PathPart
from dialplans.fallback_models import FALLBACK_END_KEYS, FALLBACK_END_TAGS
from dialplans.models import (
    ACTION_KEYS,
    ACTION_TAGS,
    DISPLAY_NAME_PATTERN,
    OVERFLOW_KEYS,
    OVERFLOW_TAGS,
    SOUND_SOURCE_PATTERN,
    Dialplan,
)

ACTION_FORMS = (
    "{menu: NAME}, {play: PROMPT, then: return|hangup}, {transfer: {extension|queue: ...}}, {hangup: {...}}, "
    "{lookup: NAME}"
)
OVERFLOW_FORMS = "{queue: NAME}, {play: PROMPT, then: hangup}, {voicemail: BOX}, {callback: {}}"
SAY_KEYS = ("prompt", "field")
SAY_FORMS = "{prompt: PROMPT}, {field: NAME, as: number|digits|date|money|text, missing: PROMPT}"
FALLBACK_END_FORMS = "{voicemail: BOX}, {hangup: {prompt: PROMPT, cause: CAUSE}}"
_UNION_TAGS = ACTION_TAGS | OVERFLOW_TAGS | SAY_TAGS | FALLBACK_END_TAGS

_PATTERN_HINTS: dict[str, Callable[[str], str]] = {
    NAME_PATTERN: lambda value: (
        f"{value!r} is not a valid name: start with a letter, then use letters, "
        "digits, '_' or '-' (at most 64 characters)"
    ),
    DIGIT_KEY_PATTERN: lambda value: (
        f"{value!r} is not a key on the keypad: an option is one key, 0-9, * or #"
    ),
    NUMBER_PATTERN: lambda value: (
        f"{value!r} is not a dialable number: use digits, * and #, with an optional leading +"
    ),
    HANGUP_CAUSE_PATTERN: lambda value: (
        f"{value!r} is not a hangup cause: use a FreeSWITCH cause name such as NORMAL_CLEARING"
    ),
    AGENT_ID_PATTERN: lambda value: f"{value!r} is not an agent id: use 2 to 10 digits, e.g. 1001",
    DISPLAY_NAME_PATTERN: lambda value: (
        f'{value!r} is not a usable name: 1 to 64 characters, without $ {{ }} \\ < > " or control characters'
    ),
    MAILBOX_PATTERN: lambda value: (
        f"{value!r} is not a voicemail box: use letters, digits, '_' or '-' (at most 64 characters)"
    ),
    SOUND_SOURCE_PATTERN: lambda value: (
        f"{value!r} is not a sound source FreeSWITCH can play as is, e.g. local_stream://moh "
        "(no spaces, quotes, $ or braces)"
    ),
    PHONE_PATTERN: lambda value: (
        f"{value!r} is not a phone number: digits with an optional leading +, and spaces, dots, dashes "
        "or brackets if you like, e.g. +44 1632 960001 or 01632 960001"
    ),
    PREFIX_PATTERN: lambda value: (
        f"{value!r} is not a number prefix: + and 1 to 15 digits, nothing else, e.g. +44909"
    ),
    DELAY_PATTERN: lambda value: (
        f"{value!r} is not a retry delay: minutes, hours or days such as 30m, 2h or 1d, or never"
    ),
    REGION_PATTERN: lambda value: (
        f"{value!r} is not a region: two capital letters, the ISO 3166 country code, e.g. GB or US"
    ),
}


def describe(error: ErrorDetails, data: Any) -> tuple[NodePath, bool, str]:
    """The document path an error concerns, whether it is about the key there, and a plain message."""
    path, at_key = _document_path(error["loc"], data)
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return path[:-1], False, f"missing required key {path[-1]!r}"
    if kind == "extra_forbidden":
        return path, True, _unknown_key(path, data)
    if kind == "invalid_action":
        return path, False, _bad_choice(value, ACTION_KEYS, "an action", ACTION_FORMS)
    if kind == "invalid_overflow":
        return path, False, _bad_choice(value, OVERFLOW_KEYS, "an on_max_wait choice", OVERFLOW_FORMS)
    if kind == "invalid_fallback_end":
        return path, False, _bad_choice(value, FALLBACK_END_KEYS, "a fallback's `then`", FALLBACK_END_FORMS)
    if kind == "invalid_say_item":
        return path, False, _bad_choice(value, SAY_KEYS, "an answer item", SAY_FORMS)
    if kind == "string_pattern_mismatch" and ctx.get("pattern") in _PATTERN_HINTS:
        return path, at_key, _PATTERN_HINTS[ctx["pattern"]](str(value))
    return path, at_key, _plain_message(kind, value, ctx, error["msg"])


def _document_path(loc: tuple[int | str, ...], data: Any) -> tuple[NodePath, bool]:
    """Walk the location through the data, dropping union tags and pydantic's `[key]` marker."""
    path: list[PathPart] = []
    node = data
    at_key = False
    for part in loc:
        if part == "[key]":
            at_key = True
            continue
        if isinstance(node, dict) and part not in node and part in _UNION_TAGS:
            continue
        path.append(part)
        node = node.get(part) if isinstance(node, dict) else _item(node, part)
    return tuple(path), at_key


def _item(node: Any, index: PathPart) -> Any:
    if isinstance(node, list) and isinstance(index, int) and 0 <= index < len(node):
        return node[index]
    return None


def _unknown_key(path: NodePath, data: Any) -> str:
    key = str(path[-1])
    model = _model_at(path[:-1], data)
    if model is None:
        return f"unknown key {key!r}"
    allowed = [field.alias or name for name, field in model.model_fields.items()]
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    # The loader ignores top-level `x-` keys: say so where a home for YAML anchors is most wanted.
    own = " (or start it with x- to keep it for yourself)" if len(path) == 1 else ""
    return f"unknown key {key!r}; {hint}the keys here are: {', '.join(allowed)}{own}"


def _model_at(path: NodePath, data: Any) -> type[BaseModel] | None:
    """The model that validates the mapping at `path`, found by walking the model annotations."""
    annotation: Any = Dialplan
    node = data
    for part in path:
        annotation = _unwrap(annotation, node)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return None
            annotation = field.annotation
        elif get_origin(annotation) in (dict, list):
            annotation = get_args(annotation)[-1]
        else:
            return None
        node = node.get(part) if isinstance(node, dict) else _item(node, part)
    annotation = _unwrap(annotation, node)
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _unwrap(annotation: Any, node: Any) -> Any:
    """Strip Annotated and Optional; of a union of models, pick the one whose keys the node uses."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [_unwrap(member, node) for member in get_args(annotation) if member is not type(None)]
            keys = set(node) if isinstance(node, dict) else set()
            return max(members, key=lambda member: len(keys & set(getattr(member, "model_fields", {}))))
        else:
            return annotation


def _bad_choice(value: Any, keys: tuple[str, ...], what: str, forms: str) -> str:
    """A mapping that must hold exactly one of `keys` (an action, an on_max_wait), told plainly."""
    expected = f"expected one of {forms}"
    if isinstance(value, dict):
        present = [key for key in keys if key in value]
        if len(present) > 1:
            return f"{what} does one thing, but this one has {' and '.join(present)}; {expected}"
        found = ", ".join(repr(str(key)) for key in value) or "nothing"
        return f"not {what} (found {found}); {expected}"
    return f"{expected}, got {_show(value)}"


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = str(value)
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _number(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _plain_message(kind: str, value: Any, ctx: dict[str, Any], fallback: str) -> str:
    shown = _show(value)
    match kind:
        case "string_type":
            return f"expected text, got {shown}"
        case "int_parsing" | "int_type" | "int_from_float":
            return f"expected a whole number, got {shown}"
        case "float_parsing" | "float_type":
            return f"expected a number, got {shown}"
        case "bool_parsing" | "bool_type":
            return f"expected true or false, got {shown}"
        case "dict_type" | "model_type" | "model_attributes_type":
            return f"expected a mapping of `key: value` lines, got {shown}"
        case "list_type":
            return f"expected a list (one `- item` per line, or [a, b]), got {shown}"
        case "literal_error" | "enum":
            return f"expected {ctx.get('expected', 'another value')}, got {shown}"
        case "string_too_short":
            return "must not be empty"
        case "string_too_long":
            return f"is too long: at most {ctx.get('max_length')} characters"
        case "too_short":
            return "needs at least one entry"
        case "too_long":
            return f"has too many entries: at most {ctx.get('max_length')}"
        case "greater_than":
            return f"must be more than {_number(ctx.get('gt'))}, got {shown}"
        case "greater_than_equal":
            return f"must be at least {_number(ctx.get('ge'))}, got {shown}"
        case "less_than_equal":
            return f"must be at most {_number(ctx.get('le'))}, got {shown}"
        case "less_than":
            return f"must be less than {_number(ctx.get('lt'))}, got {shown}"
        case "date_parsing" | "date_type" | "date_from_datetime_parsing" | "date_from_datetime_inexact":
            return f"expected a date as YYYY-MM-DD, got {shown}"
        case "value_error":
            return str(ctx.get("error", fallback))
    return fallback[:1].lower() + fallback[1:]
