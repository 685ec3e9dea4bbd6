"""Rendering event templates for one call: identity substitution, overrides, variable overlay.

Each template is compiled once (its values URL-encoded, the headers that carry the captured
call's identity found); per call only those headers are substituted and re-encoded, and per
event only the overridden ones. This keeps the stand-in fast enough to drive the benchmark.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from tests.support.standin.templates import DESTINATION_HEADERS, CallIdentity, EventTemplate, Header, Identity
from tests.support.standin.wire import url_encode

Entry = tuple[str, str]  # name, URL-encoded value


def needs_substitution(old: Identity, name: str, value: str) -> bool:
    if old.uuid and old.uuid in value:
        return True
    if old.other_leg and old.other_leg in value:
        return True
    core = old.caller_number.lstrip("+")
    if core and core in value:
        return True
    return bool(old.destination and name in DESTINATION_HEADERS and old.destination in value)


class Substituter:
    """Replaces a captured call's identity by a new call's, in URL-encoded header values.

    Working on the encoded text spares re-encoding: UUIDs, digits and '+' (as %2B) encode the
    same wherever they appear, and a caller name is only replaced where it is the whole value.
    """

    def __init__(self, old: Identity, new: CallIdentity) -> None:
        self._uuids = [(old.uuid, new.uuid)] if old.uuid else []
        if old.other_leg:
            self._uuids.append((old.other_leg, new.other_leg))
        self._old_name = url_encode(old.caller_name)
        self._new_name = url_encode(new.caller_name)
        core = old.caller_number.lstrip("+")
        self._number = re.compile(r"(?:%2B)?" + re.escape(core)) if core else None
        self._new_number = url_encode(new.caller_number)
        self._new_core = url_encode(new.caller_number.lstrip("+"))
        self._destination = (
            re.compile(rf"(?<![0-9]){re.escape(old.destination)}(?![0-9])") if old.destination else None
        )
        self._new_destination = url_encode(new.destination)
        self._memo: dict[tuple[str, str], str] = {}

    def apply(self, name: str, encoded: str) -> str:
        key = (name, encoded)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._apply(name, encoded)
        return found

    def _apply(self, name: str, encoded: str) -> str:
        for old, new in self._uuids:
            encoded = encoded.replace(old, new)
        if name.endswith("Caller-ID-Name") and encoded == self._old_name:
            return self._new_name
        if self._number is not None:
            encoded = self._number.sub(self._number_for, encoded)
        if self._destination is not None and name in DESTINATION_HEADERS:
            encoded = self._destination.sub(self._new_destination, encoded)
        return encoded

    def _number_for(self, match: re.Match[str]) -> str:
        return self._new_number if match.group(0).startswith("%2B") else self._new_core


@dataclass(frozen=True)
class _Block:
    entries: tuple[Entry, ...]  # variables carry their "variable_" prefix
    substituted: tuple[int, ...]  # indexes of the entries that carry the captured identity
    index: dict[str, int]  # name (without "variable_") -> position


@dataclass(frozen=True)
class _Compiled:
    pre: _Block
    variables: _Block
    post: _Block


_compiled: dict[int, tuple[EventTemplate, _Compiled]] = {}


def _block(template: EventTemplate, items: Iterable[Header], prefix: str = "") -> _Block:
    pairs = tuple((prefix + name, value) for name, value in items)
    marked = tuple(
        index
        for index, (name, value) in enumerate(pairs)
        if needs_substitution(template.identity, name, value)
    )
    index: dict[str, int] = {}
    for position, (name, _) in enumerate(pairs):
        index.setdefault(name[len(prefix) :], position)
    return _Block(tuple((name, url_encode(value)) for name, value in pairs), marked, index)


def compiled(template: EventTemplate) -> _Compiled:
    found = _compiled.get(id(template))
    if found is None or found[0] is not template:
        found = (
            template,
            _Compiled(
                _block(template, template.pre),
                _block(template, template.variables, "variable_"),
                _block(template, template.post),
            ),
        )
        _compiled[id(template)] = found
    return found[1]


def _substitute(block: _Block, substituter: Substituter) -> list[Entry]:
    entries = list(block.entries)
    for index in block.substituted:
        name, value = entries[index]
        entries[index] = (name, substituter.apply(name, value))
    return entries


def _patch(
    entries: list[Entry], index: Mapping[str, int], changes: Mapping[str, str | None], prefix: str = ""
) -> list[Entry]:
    """A copy of `entries` with the named values replaced (None: removed); unknown names ignored."""
    out = list(entries)
    removed = False
    for name, value in changes.items():
        position = index.get(name)
        if position is None:
            continue
        if value is None:
            out[position] = ("", "")
            removed = True
        else:
            out[position] = (prefix + name, url_encode(value))
    return [entry for entry in out if entry[0]] if removed else out


class EventRenderer:
    """Renders templates for one call (caches the identity substitution per template)."""

    def __init__(self, call: CallIdentity) -> None:
        self.call = call
        self._prepared: dict[int, tuple[list[Entry], list[Entry], list[Entry]]] = {}
        self._substituters: dict[Identity, Substituter] = {}

    def prepared(self, template: EventTemplate) -> tuple[list[Entry], list[Entry], list[Entry]]:
        """The template's (pre, variables, post) entries with this call's identity, encoded."""
        key = id(template)
        found = self._prepared.get(key)
        if found is None:
            parts = compiled(template)
            substituter = self._substituters.get(template.identity)
            if substituter is None:
                substituter = self._substituters[template.identity] = Substituter(
                    template.identity, self.call
                )
            found = (
                _substitute(parts.pre, substituter),
                _substitute(parts.variables, substituter),
                _substitute(parts.post, substituter),
            )
            self._prepared[key] = found
        return found

    def render(
        self,
        template: EventTemplate,
        *,
        sequence: int,
        overrides: Mapping[str, str | None] = {},
        variables: Mapping[str, str | None] = {},
        in_place: Mapping[str, str | None] = {},
        script_vars: frozenset[str] = frozenset(),
        drop_vars: frozenset[str] = frozenset(),
        drop_prefixes: tuple[str, ...] = (),
        app_headers: Iterable[Header] = (),
        encode: bool = True,
    ) -> list[Header]:
        """Headers (name, value) in order; values URL-encoded unless `encode` is false.

        `overrides` replace (None: remove) headers outside the variables; `variables` overlay
        the captured variables and new ones are appended; `in_place` only replace (None: remove)
        a variable the template has. Variables in `script_vars` are dropped unless overlaid.
        """
        parts = compiled(template)
        pre, captured_vars, post = self.prepared(template)
        fixed: dict[str, str | None] = {**overrides, "Event-Sequence": str(sequence)}
        fixed.update(_Clock.now())
        out = _patch(pre, parts.pre.index, fixed)
        if drop_prefixes:
            out = [entry for entry in out if not entry[0].startswith(drop_prefixes)]
        if captured_vars:
            index = parts.variables.index
            changes: dict[str, str | None] = {name: None for name in script_vars if name in index}
            changes.update((name, None) for name in drop_vars if name in index)
            changes.update((name, value) for name, value in variables.items() if name not in drop_vars)
            changes.update((name, value) for name, value in in_place.items() if name not in drop_vars)
            out += _patch(captured_vars, index, changes, "variable_")
            out += [
                ("variable_" + name, url_encode(value))
                for name, value in variables.items()
                if value is not None and name not in index and name not in in_place and name not in drop_vars
            ]
        out += _patch(post, parts.post.index, overrides)
        out += [(name, url_encode(value)) for name, value in app_headers]
        return out if encode else [(name, unquote(value)) for name, value in out]


class _Clock:
    """The Event-Date-* headers for now (the dates change once a second)."""

    second = -1
    dates: dict[str, str | None] = {}

    @classmethod
    def now(cls) -> dict[str, str | None]:
        now = time.time()
        second = int(now)
        if second != cls.second:
            cls.dates = {
                "Event-Date-Local": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second)),
                "Event-Date-GMT": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(second)),
            }
            cls.second = second
        return {**cls.dates, "Event-Date-Timestamp": str(int(now * 1_000_000))}
