"""What `originate` runs on a leg once it answers: its second argument, built and checked in one place.

originate_function (mod_commands) takes `&app(arg)` for one application, or an extension and a
dialplan name: with the `inline` dialplan (mod_dptools inline_dialplan_hunt) the extension is a list
`app:arg,app:arg` run in order, each step split at its first ':' (so an argument may hold ':' but
not ','). originate splits its command line at spaces outside single quotes, so the list is sent
single-quoted and may not hold a quote itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from esl_handlers import app_args

_APPLICATION: Final = re.compile(r"^[a-z][a-z0-9_]*$")
_INLINE_UNSAFE: Final = frozenset(",'\"\\")


@dataclass(frozen=True, slots=True)
class AfterAnswer:
    text: str


PARK: Final = AfterAnswer("&park()")


def application(name: str, argument: str) -> AfterAnswer:
    """`&name(argument)`: one application; the argument is one word without parentheses (a UUID, say)."""
    app = app_args.word(name, "application")
    arg = app_args.word(argument, "application argument")
    if set(app + arg) & set("()&,"):
        raise ValueError(f"application {app!r} and its argument must not hold ( ) & ,")
    return AfterAnswer(f"&{app}({arg})")


def inline(steps: Sequence[tuple[str, str]]) -> AfterAnswer:
    """The applications `steps` (name, argument) run in order by the inline dialplan."""
    if not steps:
        raise ValueError("an inline dialplan needs at least one application")
    parts = []
    for name, argument in steps:
        if not _APPLICATION.match(name):
            raise ValueError(f"not an application name: {name[:40]!r}")
        app_args.literal(argument, f"{name}'s argument")
        bad = sorted(set(argument) & _INLINE_UNSAFE)
        if bad:
            raise ValueError(f"{name}'s argument must not contain {''.join(bad)!r}: {argument[:60]!r}")
        parts.append(f"{name}:{argument}" if argument else name)
    return AfterAnswer("'" + ",".join(parts) + "' inline")
