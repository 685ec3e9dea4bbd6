"""The dialplan model seen from FreeSWITCH: which numbers each context must answer, and how."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from dialplans.fallback_models import FALLBACK_CONTEXT
from dialplans.models import Action, Dialplan, Transfer
from freeswitch_conf.escaping import Built, RenderError, dialable, number_regex
from freeswitch_conf.fallback import fallback_extension

PUBLIC = "public"
DEFAULT = "default"
_CONTEXT = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class DidRoute:
    """A public number: FreeSWITCH hands its calls to the application server, and to `fallback` (an
    extension of context cc_fallback, freeswitch_conf.fallback) when that server is down."""

    number: str
    regex: Built
    label: str
    fallback: str


@dataclass(frozen=True)
class BridgeRoute:
    """A number FreeSWITCH rings itself: a queue's extension, an agent's phone or a transfer target."""

    kind: str
    name: str
    extension: str
    regex: Built
    label: str
    queue: str | None = None


def did_routes(dialplan: Dialplan) -> list[DidRoute]:
    return [
        DidRoute(
            number=dialable(number),
            regex=number_regex(number),
            label=did.name,
            fallback=fallback_extension(dialplan, number),
        )
        for number, did in sorted(dialplan.dids.items())
    ]


def bridge_routes(dialplan: Dialplan) -> dict[str, list[BridgeRoute]]:
    """Routes by context: every queue, every agent's phone and every transfer target.

    A number reached several ways is rendered once: a queue wins over an agent's phone, which wins
    over a plain extension. Transfers into the public context must name a DID, which already has its
    extension there.
    """
    contexts: dict[str, dict[str, BridgeRoute]] = {DEFAULT: {}}
    for key, queue in sorted(dialplan.queues.items()):
        _add(contexts, dialplan, DEFAULT, queue.extension, kind="queue", name=key, queue=key)
    for agent_id, agent in sorted(dialplan.agents.items()):
        number = agent.extension or agent_id
        _add(contexts, dialplan, DEFAULT, number, kind="agent", name=agent_id, label=agent.name)
    for context, number, queue_key in sorted(_transfer_targets(dialplan), key=lambda t: (t[0], t[1])):
        if queue_key is not None:
            _add(contexts, dialplan, context, number, kind="queue", name=queue_key, queue=queue_key)
        else:
            _add(contexts, dialplan, context, number, kind="extension")
    return {
        context: list(routes.values()) for context, routes in sorted(contexts.items()) if context != PUBLIC
    }


# Which route a number keeps when several things answer to it.
_RANK = {"queue": 0, "agent": 1, "extension": 2}


def _add(
    contexts: dict[str, dict[str, BridgeRoute]],
    dialplan: Dialplan,
    context: str,
    number: str,
    *,
    kind: str,
    name: str | None = None,
    queue: str | None = None,
    label: str = "",
) -> None:
    if not _CONTEXT.match(context):
        raise RenderError(f"{context!r} is not a usable context name")
    if context == FALLBACK_CONTEXT:
        raise RenderError(f"context {FALLBACK_CONTEXT} is reserved for the fallbacks")
    regex = number_regex(number)
    if context == PUBLIC:
        if number not in dialplan.dids:
            raise RenderError(f"transfer to {number} in context public: only DIDs answer there")
        return
    routes = contexts.setdefault(context, {})
    existing = routes.get(number)
    if existing is not None and _RANK[existing.kind] <= _RANK[kind]:
        return
    routes[number] = BridgeRoute(
        kind=kind,
        name=name if name is not None else number,
        extension=number,
        regex=regex,
        label=dialplan.queues[queue].name if queue is not None else label,
        queue=queue,
    )


def _transfer_targets(dialplan: Dialplan) -> Iterator[tuple[str, str, str | None]]:
    """(context, number, queue) for every transfer of every menu; unknown queues are the loader's job."""
    for menu in dialplan.menus.values():
        actions: list[Action] = [*menu.options.values(), menu.fallback]
        for action in actions:
            if not isinstance(action, Transfer):
                continue
            target = action.transfer
            if target.queue is not None and target.queue in dialplan.queues:
                yield target.context, dialplan.queues[target.queue].extension, target.queue
            elif target.extension is not None:
                yield target.context, target.extension, None
