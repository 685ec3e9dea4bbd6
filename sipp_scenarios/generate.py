"""One SIPp call per menu path: the key sequences that reach every option of every menu.

A path is the shortest way to a menu, one option of it, then (when that option leads to another
menu or replays this one) the shortest keys from there to an option that ends the call. So every
option of every reachable menu is pressed by at least one path, without enumerating every
combination. Paths that press more than `max_keys` menu options are left out (the digits a
lookup asks for do not count).

A self-service lookup (`{lookup: NAME}`) is entered as a customer nobody has: `min_digits` zeros
and the terminator, or `max_digits` zeros when it has no terminator or takes a fixed length, so
each entry ends on a key and not on a timeout. The smoke rig's CRM knows no such customer (nor
the smoke caller's number, for a caller_id lookup, which asks nothing), so every try fails: the
runner asks again up to the menu's `max_retries`, then runs the menu's fallback
(ivr_scripts.self_service). The path keys the entry once per try, then follows the fallback. So a
path does not depend on what the CRM holds, and it ends the call as caller.xml expects.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dialplans.crm_models import BY_CALLER_ID, SelfServiceLookup
from dialplans.models import Action, Dialplan, GotoMenu, Hangup, Lookup, PlayMessage, Transfer

KEY_ORDER = "123456789*0#"
DEFAULT_MAX_KEYS = 8
DEFAULT_CALLER = "+15550000100"
# What a generated path keys in for a lookup, digit by digit: an account or plate nobody has.
UNKNOWN_ENTRY_DIGIT = "0"


@dataclass(frozen=True)
class MenuPath:
    did: str
    start_menu: str
    """The DID's menu, or its closed_menu for the paths callers take outside opening hours."""
    digits: tuple[str, ...]
    """The keys the caller presses, in order: menu options and what lookups ask for."""
    outcome: str
    """How the call ends: "queue:NAME", "extension:NUMBER@CONTEXT" or "hangup:CAUSE"."""
    pressed: tuple[tuple[str, str], ...]
    """The (menu, key) options the path presses, in order."""

    @property
    def dialed(self) -> str:
        """The digits as one string, as caller.xml's injection file carries them."""
        return "".join(self.digits)


def menu_paths(dialplan: Dialplan, *, max_keys: int = DEFAULT_MAX_KEYS) -> list[MenuPath]:
    paths: list[MenuPath] = []
    seen: set[tuple[str, str, tuple[str, ...]]] = set()
    for did_number, did in sorted(dialplan.dids.items()):
        starts = [did.menu] + ([did.closed_menu] if did.closed_menu and did.closed_menu != did.menu else [])
        for start in starts:
            for path in _paths_from(dialplan, did_number, start):
                key = (path.did, path.start_menu, path.digits)
                if len(path.pressed) <= max_keys and key not in seen:
                    seen.add(key)
                    paths.append(path)
    return paths


def write_paths_csv(paths: Iterable[MenuPath], target: Path, *, caller: str = DEFAULT_CALLER) -> Path:
    """SIPp injection file for caller.xml: DID;caller;keys;outcome;start menu, one row per path."""
    rows = ["SEQUENTIAL"]
    for path in paths:
        fields = (path.did, caller, path.dialed or "-", path.outcome, path.start_menu)
        for value in fields:
            if ";" in value or "\n" in value:
                raise ValueError(f"{value!r} cannot go into a SIPp injection file")
        rows.append(";".join(fields))
    target.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return target


def lookup_entry(lookup: SelfServiceLookup) -> tuple[str, ...]:
    """The keys a generated path enters for one try of `lookup`: a well-formed entry no customer has."""
    if lookup.by == BY_CALLER_ID:
        return ()
    # The entry must end on a key, not on the digit timeout: the keys that follow would join it.
    if lookup.terminator and lookup.min_digits < lookup.max_digits:
        return (UNKNOWN_ENTRY_DIGIT,) * lookup.min_digits + (lookup.terminator,)
    return (UNKNOWN_ENTRY_DIGIT,) * lookup.max_digits


def failed_lookup_keys(lookup: SelfServiceLookup, tries: int) -> tuple[str, ...]:
    """Every try of a lookup that finds nobody: a caller_id lookup fails at once, without a try."""
    return lookup_entry(lookup) * tries


@dataclass(frozen=True)
class _Step:
    """One option pressed in `menu`, and what the caller keys in after it (a lookup's entry)."""

    menu: str
    key: str
    entry: tuple[str, ...] = ()


_Route = tuple[_Step, ...]


def _paths_from(dialplan: Dialplan, did: str, start: str) -> Iterable[MenuPath]:
    reach = _shortest_routes_to_menus(dialplan, start)
    for menu_name, prefix in reach.items():
        menu = dialplan.menus[menu_name]
        for key in _ordered(menu.options):
            action = menu.options[key]
            step = _Step(menu_name, key)
            ending = _ending(action)
            if ending is not None:
                route, outcome = (*prefix, step), ending
            else:
                if isinstance(action, Lookup):
                    lookup = dialplan.self_service.get(action.lookup)
                    if lookup is None:
                        continue
                    step = _Step(menu_name, key, failed_lookup_keys(lookup, menu.max_retries))
                    completion = _after_fallback(dialplan, menu_name)
                else:
                    then = action.menu if isinstance(action, GotoMenu) else menu_name
                    completion = _shortest_ending_from(dialplan, then)
                if completion is None:
                    continue
                route, outcome = (*prefix, step, *completion[0]), completion[1]
            yield MenuPath(did, start, _keys(route), outcome, tuple((s.menu, s.key) for s in route))


def _ending(action: Action) -> str | None:
    """The outcome when this action ends the call, None when the caller stays in a menu."""
    if isinstance(action, Transfer):
        target = action.transfer
        if target.queue is not None:
            return f"queue:{target.queue}"
        return f"extension:{target.extension}@{target.context}"
    if isinstance(action, Hangup):
        return f"hangup:{action.hangup.cause}"
    if isinstance(action, PlayMessage) and action.then == "hangup":
        return "hangup:NORMAL_CLEARING"
    return None


def _after_fallback(dialplan: Dialplan, name: str) -> tuple[_Route, str] | None:
    """Where the fallback of menu `name` takes the caller, up to the end of the call."""
    fallback = dialplan.menus[name].fallback
    ending = _ending(fallback)
    if ending is not None:
        return (), ending
    if isinstance(fallback, GotoMenu):
        return _shortest_ending_from(dialplan, fallback.menu)
    if isinstance(fallback, PlayMessage):  # then: return replays the menu, with fresh tries
        return _shortest_ending_from(dialplan, name)
    return None  # a lookup as fallback, which the dialplan checks refuse


def _shortest_routes_to_menus(dialplan: Dialplan, start: str) -> dict[str, _Route]:
    reach: dict[str, _Route] = {start: ()}
    queue = deque([start])
    while queue:
        name = queue.popleft()
        options = dialplan.menus[name].options
        for key in _ordered(options):
            action = options[key]
            if isinstance(action, GotoMenu) and action.menu in dialplan.menus and action.menu not in reach:
                reach[action.menu] = (*reach[name], _Step(name, key))
                queue.append(action.menu)
    return reach


def _shortest_ending_from(dialplan: Dialplan, start: str) -> tuple[_Route, str] | None:
    for name, prefix in _shortest_routes_to_menus(dialplan, start).items():
        options = dialplan.menus[name].options
        for key in _ordered(options):
            outcome = _ending(options[key])
            if outcome is not None:
                return (*prefix, _Step(name, key)), outcome
    return None


def _keys(route: _Route) -> tuple[str, ...]:
    return tuple(key for step in route for key in (step.key, *step.entry))


def _ordered(options: Iterable[str]) -> list[str]:
    return sorted(options, key=KEY_ORDER.index)
