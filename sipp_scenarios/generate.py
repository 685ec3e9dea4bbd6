"""One SIPp call per menu path: the key sequences that reach every option of every menu.

A path is the shortest way to a menu, one option of it, then (when that option leads to another
menu or replays this one) the shortest keys from there to an option that ends the call. So every
option of every reachable menu is pressed by at least one path, without enumerating every
combination. Paths longer than `max_keys` are left out.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dialplans.models import Action, Dialplan, GotoMenu, Hangup, PlayMessage, Transfer

KEY_ORDER = "123456789*0#"
DEFAULT_MAX_KEYS = 8
DEFAULT_CALLER = "+15550000100"


@dataclass(frozen=True)
class MenuPath:
    did: str
    start_menu: str
    """The DID's menu, or its closed_menu for the paths callers take outside opening hours."""
    digits: tuple[str, ...]
    """The keys the caller presses, in order."""
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
                if len(path.digits) <= max_keys and key not in seen:
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


def _paths_from(dialplan: Dialplan, did: str, start: str) -> Iterable[MenuPath]:
    reach = _shortest_keys_to_menus(dialplan, start)
    for menu_name, prefix in reach.items():
        menu = dialplan.menus[menu_name]
        for key in _ordered(menu.options):
            action = menu.options[key]
            ending = _ending(action)
            if ending is not None:
                keys, outcome = (*prefix, key), ending
            else:
                then = action.menu if isinstance(action, GotoMenu) else menu_name
                completion = _shortest_ending_from(dialplan, then)
                if completion is None:
                    continue
                keys, outcome = (*prefix, key, *completion[0]), completion[1]
            yield MenuPath(did, start, keys, outcome, _pressed(dialplan, start, keys))


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


def _shortest_keys_to_menus(dialplan: Dialplan, start: str) -> dict[str, tuple[str, ...]]:
    reach: dict[str, tuple[str, ...]] = {start: ()}
    queue = deque([start])
    while queue:
        name = queue.popleft()
        options = dialplan.menus[name].options
        for key in _ordered(options):
            action = options[key]
            if isinstance(action, GotoMenu) and action.menu in dialplan.menus and action.menu not in reach:
                reach[action.menu] = (*reach[name], key)
                queue.append(action.menu)
    return reach


def _shortest_ending_from(dialplan: Dialplan, start: str) -> tuple[tuple[str, ...], str] | None:
    for name, prefix in _shortest_keys_to_menus(dialplan, start).items():
        options = dialplan.menus[name].options
        for key in _ordered(options):
            outcome = _ending(options[key])
            if outcome is not None:
                return (*prefix, key), outcome
    return None


def _pressed(dialplan: Dialplan, start: str, keys: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    pressed = []
    menu = start
    for key in keys:
        pressed.append((menu, key))
        action = dialplan.menus[menu].options[key]
        if isinstance(action, GotoMenu):
            menu = action.menu
    return tuple(pressed)


def _ordered(options: Iterable[str]) -> list[str]:
    return sorted(options, key=KEY_ORDER.index)
