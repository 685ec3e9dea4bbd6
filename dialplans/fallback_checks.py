"""Checks of the fallbacks FreeSWITCH runs on its own when the application server is down."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from dialplans.errors import Finding, NodePath, unknown_reference
from dialplans.fallback_models import FallbackHangup, FallbackVoicemail, ServerDownFallback
from dialplans.models import Dialplan
from dialplans.vocabulary import FREESWITCH_HANGUP_CAUSES


def fallbacks(plan: Dialplan) -> Iterator[tuple[NodePath, ServerDownFallback]]:
    """The top-level fallback and every DID's own, with where each is written."""
    if plan.fallback is not None:
        yield ("fallback",), plan.fallback
    for number, did in plan.dids.items():
        if did.fallback is not None:
            yield ("dids", number, "fallback"), did.fallback


def fallback_prompts(plan: Dialplan) -> set[str]:
    return {prompt for _, fallback in fallbacks(plan) if (prompt := _prompt(fallback)[1]) is not None}


def _prompt(fallback: ServerDownFallback) -> tuple[NodePath, str | None]:
    """The prompt a fallback plays, and where it is written below the fallback."""
    end = fallback.then
    if isinstance(end, FallbackHangup):
        return ("then", "hangup", "prompt"), end.hangup.prompt
    return ("then", "greeting"), end.greeting


def check_fallbacks(plan: Dialplan) -> Iterator[Finding]:
    for path, fallback in fallbacks(plan):
        yield from _check_one(plan, path, fallback)


def _check_one(plan: Dialplan, path: NodePath, fallback: ServerDownFallback) -> Iterator[Finding]:
    seen: set[str] = set()
    for index, agent in enumerate(fallback.ring):
        if agent not in plan.agents:
            yield Finding((*path, "ring", index), unknown_reference("agent", agent, plan.agents))
        elif agent in seen:
            yield Finding((*path, "ring", index), f"agent {agent} is listed twice")
        seen.add(agent)
    where, prompt = _prompt(fallback)
    if prompt is not None and prompt not in plan.prompts:
        yield Finding((*path, *where), unknown_reference("prompt", prompt, plan.prompts))
    end = fallback.then
    if isinstance(end, FallbackVoicemail) and end.greeting is None:
        yield Finding(
            (*path, "then"),
            "no greeting: callers hear only the tone before the voicemail records; "
            "add `greeting: PROMPT` (e.g. 'please leave a message after the tone')",
            "warning",
        )
    if isinstance(end, FallbackHangup):
        spec = end.hangup
        if spec.cause not in FREESWITCH_HANGUP_CAUSES:
            close = difflib.get_close_matches(spec.cause, sorted(FREESWITCH_HANGUP_CAUSES), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            yield Finding(
                (*path, "then", "hangup", "cause"),
                f"FreeSWITCH knows no hangup cause {spec.cause!r}{hint}",
                "warning",
            )
