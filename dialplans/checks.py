"""Checks across a whole dialplan that no single model can make on its own.

Every check reports everything it finds, as `Finding`s addressed by node path;
the loader gives them their line and column. The checks never raise.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from zoneinfo import ZoneInfo, available_timezones

from dialplans.acd_checks import check_acd, queue_menus
from dialplans.campaign_checks import campaign_prompts, campaign_queues, check_campaigns
from dialplans.crm_checks import check_crm, crm_prompts, crm_queues
from dialplans.errors import Finding, NodePath, unknown_reference
from dialplans.fallback_checks import check_fallbacks, fallback_prompts
from dialplans.fallback_models import FALLBACK_CONTEXT
from dialplans.models import (
    Action,
    Dialplan,
    GotoMenu,
    Hangup,
    Lookup,
    Menu,
    OverflowMessage,
    OverflowToCallback,
    OverflowToQueue,
    PlayMessage,
    Transfer,
)
from dialplans.recording_checks import check_recording, recording_prompts
from dialplans.vocabulary import FREESWITCH_HANGUP_CAUSES


def check_dialplan(plan: Dialplan) -> list[Finding]:
    return [
        *_menu_references(plan),
        *_did_references(plan),
        *_unreachable_menus(plan),
        *_menus_without_exit(plan),
        *_schedules(plan),
        *check_acd(plan),
        *check_crm(plan),
        *check_recording(plan),
        *check_fallbacks(plan),
        *check_campaigns(plan),
        *_unused(plan),
    ]


def _actions(name: str, menu: Menu) -> Iterator[tuple[NodePath, Action]]:
    for key, action in menu.options.items():
        yield ("menus", name, "options", key), action
    yield ("menus", name, "fallback"), menu.fallback


def _all_actions(plan: Dialplan) -> Iterator[tuple[NodePath, Action]]:
    """Every action of every menu, and every queue's exit action (lookups are checked in crm_checks)."""
    for name, menu in plan.menus.items():
        yield from _actions(name, menu)
    for name, queue in plan.queues.items():
        if queue.exit_action is not None:
            yield ("queues", name, "exit_action"), queue.exit_action


def _menu_references(plan: Dialplan) -> Iterator[Finding]:
    for name, menu in plan.menus.items():
        for field in ("greeting", "prompt", "invalid_prompt", "timeout_prompt"):
            prompt = getattr(menu, field)
            if prompt is not None and prompt not in plan.prompts:
                yield Finding(("menus", name, field), unknown_reference("prompt", prompt, plan.prompts))
    for path, action in _all_actions(plan):
        yield from _action_references(plan, path, action)


def _action_references(plan: Dialplan, path: NodePath, action: Action) -> Iterator[Finding]:
    if isinstance(action, GotoMenu) and action.menu not in plan.menus:
        yield Finding((*path, "menu"), unknown_reference("menu", action.menu, plan.menus))
    elif isinstance(action, PlayMessage) and action.play not in plan.prompts:
        yield Finding((*path, "play"), unknown_reference("prompt", action.play, plan.prompts))
    elif isinstance(action, Transfer):
        target = action.transfer
        if (target.extension is None) == (target.queue is None):
            given = "both" if target.extension is not None else "neither"
            yield Finding(
                (*path, "transfer"),
                f"a transfer needs exactly one of extension or queue, and this one has {given}",
            )
        if target.context == FALLBACK_CONTEXT:
            yield Finding(
                (*path, "transfer", "context"),
                f"context {FALLBACK_CONTEXT} is reserved for the fallback (top-level `fallback`)",
            )
        if target.queue is not None and target.queue not in plan.queues:
            yield Finding((*path, "transfer", "queue"), unknown_reference("queue", target.queue, plan.queues))
    elif isinstance(action, Hangup):
        spec = action.hangup
        if spec.prompt is not None and spec.prompt not in plan.prompts:
            yield Finding((*path, "hangup", "prompt"), unknown_reference("prompt", spec.prompt, plan.prompts))
        if spec.cause not in FREESWITCH_HANGUP_CAUSES:
            close = difflib.get_close_matches(spec.cause, sorted(FREESWITCH_HANGUP_CAUSES), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            yield Finding(
                (*path, "hangup", "cause"),
                f"FreeSWITCH knows no hangup cause {spec.cause!r}{hint}",
                "warning",
            )


def _did_references(plan: Dialplan) -> Iterator[Finding]:
    for number, did in plan.dids.items():
        path: NodePath = ("dids", number)
        if did.menu not in plan.menus:
            yield Finding((*path, "menu"), unknown_reference("menu", did.menu, plan.menus))
        if did.closed_menu is not None and did.closed_menu not in plan.menus:
            yield Finding((*path, "closed_menu"), unknown_reference("menu", did.closed_menu, plan.menus))
        if did.schedule is not None and did.schedule not in plan.schedules:
            yield Finding((*path, "schedule"), unknown_reference("schedule", did.schedule, plan.schedules))
        if did.schedule is not None and did.closed_menu is None:
            yield Finding(
                path, "this line has a schedule, so it needs a closed_menu for callers outside its hours"
            )
        if did.schedule is None and did.closed_menu is not None:
            yield Finding(
                (*path, "closed_menu"),
                "closed_menu is never used: without a schedule the line is open 24x7",
                "warning",
            )


def _menu_edges(menu: Menu) -> list[str]:
    return [action.menu for _, action in _actions("", menu) if isinstance(action, GotoMenu)]


def _menus_via_queues(plan: Dialplan, menu: Menu) -> list[str]:
    """Menus a caller reaches from `menu` by pressing a queue's exit key."""
    queues = [a.transfer.queue for _, a in _actions("", menu) if isinstance(a, Transfer) and a.transfer.queue]
    return [name for queue in queues for name in queue_menus(plan, queue)]


def _unreachable_menus(plan: Dialplan) -> Iterator[Finding]:
    reached: set[str] = set()
    waiting = [menu for did in plan.dids.values() for menu in (did.menu, did.closed_menu) if menu is not None]
    # VIP callers skip the menus straight into their queue, whose exit key may lead to one.
    waiting.extend(name for queue in crm_queues(plan) for name in queue_menus(plan, queue))
    while waiting:
        name = waiting.pop()
        if name in reached or name not in plan.menus:
            continue
        reached.add(name)
        waiting.extend(_menu_edges(plan.menus[name]))
        waiting.extend(_menus_via_queues(plan, plan.menus[name]))
    for name in plan.menus:
        if name not in reached:
            yield Finding(
                ("menus", name), f"menu {name!r} is unreachable: no DID starts in it and no menu leads to it"
            )


def _leaves_menu(action: Action, exits: set[str], menus: dict[str, Menu]) -> bool:
    if isinstance(action, Transfer | Hangup):
        return True
    if isinstance(action, PlayMessage):
        return action.then == "hangup"
    if isinstance(action, Lookup):
        # Even `then: hangup` ends only the calls of customers it finds: no way out for everyone.
        return False
    # A jump to an unknown menu is reported as such; do not also call it a trap.
    return action.menu in exits or action.menu not in menus


def _menus_without_exit(plan: Dialplan) -> Iterator[Finding]:
    """Menus from which no key and no fallback, followed any distance, reaches a transfer or a hangup."""
    exits: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, menu in plan.menus.items():
            if name not in exits and any(_leaves_menu(a, exits, plan.menus) for _, a in _actions(name, menu)):
                exits.add(name)
                changed = True
    trapped = sorted(set(plan.menus) - exits)
    for name in trapped:
        others = [other for other in _loop_members(plan, name) if other != name]
        via = f", nor in the menus it leads to ({', '.join(others)})," if others else ""
        yield Finding(
            ("menus", name),
            f"callers can never leave menu {name!r}: no option or fallback here{via} transfers or hangs up",
        )


def _loop_members(plan: Dialplan, start: str) -> list[str]:
    seen: list[str] = []
    waiting = [start]
    while waiting:
        name = waiting.pop()
        if name in seen or name not in plan.menus:
            continue
        seen.append(name)
        waiting.extend(_menu_edges(plan.menus[name]))
    return sorted(seen)


def _schedules(plan: Dialplan) -> Iterator[Finding]:
    for name, schedule in plan.schedules.items():
        path: NodePath = ("schedules", name)
        try:
            ZoneInfo(schedule.timezone)
        except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
            yield Finding((*path, "timezone"), _unknown_zone(schedule.timezone))
        if not schedule.hours:
            yield Finding(
                path, "this schedule has no opening hours, so its lines are always closed", "warning"
            )
        for index, block in enumerate(schedule.hours):
            if block.close <= block.open:
                yield Finding(
                    (*path, "hours", index, "close"),
                    f"closes at {block.close}, not after it opens at {block.open}; "
                    "hours past midnight take two blocks, e.g. 20:00-24:00 and 00:00-02:00",
                )


def _unknown_zone(zone: str) -> str:
    close = difflib.get_close_matches(zone, sorted(available_timezones()), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else "; use an IANA name such as 'Europe/London'"
    return f"unknown time zone {zone!r}{hint}"


def _unused(plan: Dialplan) -> Iterator[Finding]:
    played: set[str] = crm_prompts(plan) | recording_prompts(plan) | fallback_prompts(plan)
    played |= campaign_prompts(plan)
    queues: set[str] = crm_queues(plan) | campaign_queues(plan)
    for menu in plan.menus.values():
        played.update(p for p in (menu.greeting, menu.prompt, menu.invalid_prompt, menu.timeout_prompt) if p)
    for _, action in _all_actions(plan):
        if isinstance(action, PlayMessage):
            played.add(action.play)
        elif isinstance(action, Hangup) and action.hangup.prompt is not None:
            played.add(action.hangup.prompt)
        elif isinstance(action, Transfer) and action.transfer.queue is not None:
            queues.add(action.transfer.queue)
    for queue in plan.queues.values():
        overflow = queue.on_max_wait
        if isinstance(overflow, OverflowToQueue):
            queues.add(overflow.queue)
        elif isinstance(overflow, OverflowMessage):
            played.add(overflow.play)
        elif isinstance(overflow, OverflowToCallback) and overflow.callback.prompt is not None:
            played.add(overflow.callback.prompt)
    schedules = {did.schedule for did in plan.dids.values() if did.schedule is not None}
    for kind, names, used in (("prompt", plan.prompts, played), ("queue", plan.queues, queues)):
        for name in names:
            if name not in used:
                yield Finding((f"{kind}s", name), f"{kind} {name!r} is never used", "warning")
    for name in plan.schedules:
        if name not in schedules:
            yield Finding(("schedules", name), f"schedule {name!r} is not used by any DID", "warning")
