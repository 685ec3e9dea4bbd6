"""menu_paths presses every option of every reachable menu, and each path really walks the menus."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dialplans.crm_models import SelfServiceLookup
from dialplans.models import Action, Dialplan, GotoMenu, Hangup, Lookup, PlayMessage, Transfer
from sipp_scenarios.generate import MenuPath, lookup_entry, menu_paths, write_paths_csv

PLAN: dict[str, Any] = {
    "prompts": {name: {"text": name} for name in ("hello", "opts", "club", "hours", "closed", "deep")},
    "queues": {"repairs": {"extension": "2001"}, "agents": {"extension": "2000"}},
    "schedules": {"office": {"hours": [{"days": ["mon"], "open": "08:00", "close": "18:00"}]}},
    "self_service": {
        "plate": {
            "by": "plate",
            "ask": "club",
            "min_digits": 2,
            "max_digits": 8,
            "answer": [{"field": "due"}],
        },
        "account": {"ask": "deep", "min_digits": 4, "max_digits": 4, "answer": [{"prompt": "hours"}]},
        "typed": {
            "ask": "closed",
            "min_digits": 3,
            "max_digits": 6,
            "terminator": "",
            "answer": [{"field": "claim"}],
        },
        "mine": {"by": "caller_id", "answer": [{"field": "tier"}], "then": "hangup"},
    },
    "menus": {
        "main": {
            "greeting": "hello",
            "prompt": "opts",
            "options": {
                "1": {"transfer": {"queue": "repairs"}},
                "4": {"lookup": "mine"},
                "5": {"menu": "club"},
                "9": {"play": "hours"},
                "0": {"transfer": {"queue": "agents"}},
            },
            "fallback": {"transfer": {"queue": "agents"}},
        },
        "club": {
            "prompt": "club",
            "options": {
                "1": {"play": "hours", "then": "hangup"},
                "2": {"menu": "deep"},
                "3": {"lookup": "plate"},
                "*": {"menu": "main"},
                "#": {"hangup": {"cause": "USER_BUSY"}},
            },
            "fallback": {"play": "hours", "then": "return"},
        },
        "deep": {
            "prompt": "deep",
            "max_retries": 1,
            "options": {
                "1": {"menu": "club"},
                "2": {"transfer": {"extension": "2105", "context": "default"}},
                "3": {"lookup": "account"},
            },
            "fallback": {"hangup": {}},
        },
        "closed": {
            "prompt": "closed",
            "max_retries": 1,
            "options": {"3": {"transfer": {"queue": "agents"}}, "4": {"lookup": "typed"}},
            "fallback": {"menu": "main"},
        },
    },
    "dids": {
        "4001": {"menu": "main", "schedule": "office", "closed_menu": "closed"},
        "+15551230002": {"menu": "club"},
    },
}


def walk(dialplan: Dialplan, start: str, keys: tuple[str, ...]) -> str:
    """An independent walker: the outcome a caller pressing `keys` reaches, or raises.

    Lookups find nobody, as in the smoke rig: the runner asks once per try of the menu (reading
    digits up to max_digits, or to the terminator), then runs the menu's fallback; a caller_id
    lookup goes to the fallback at once.
    """
    menu = start
    pending = list(keys)
    while pending:
        action: Action = dialplan.menus[menu].options[pending.pop(0)]
        if isinstance(action, Lookup):
            lookup = dialplan.self_service[action.lookup]
            if lookup.by != "caller_id":
                for _ in range(dialplan.menus[menu].max_retries):
                    _enter(lookup, pending)
            action = dialplan.menus[menu].fallback
        if isinstance(action, GotoMenu):
            menu = action.menu
        elif isinstance(action, PlayMessage) and action.then == "return":
            pass
        else:
            assert not pending, f"{keys} goes on after the call ended"
            if isinstance(action, Transfer):
                target = action.transfer
                return (
                    f"queue:{target.queue}"
                    if target.queue
                    else f"extension:{target.extension}@{target.context}"
                )
            if isinstance(action, Hangup):
                return f"hangup:{action.hangup.cause}"
            assert isinstance(action, PlayMessage)
            return "hangup:NORMAL_CLEARING"
    raise AssertionError(f"{keys} leaves the caller in menu {menu}")


def _enter(lookup: SelfServiceLookup, pending: list[str]) -> None:
    if lookup.by == "caller_id":
        return
    entered = 0
    while pending and pending[0].isdigit() and entered < lookup.max_digits:
        pending.pop(0)
        entered += 1
    assert entered >= lookup.min_digits, "too few digits for the lookup"
    if entered < lookup.max_digits:
        assert pending, "the entry never ends"
        assert pending.pop(0) == lookup.terminator, "the entry never ends"


@pytest.fixture
def dialplan() -> Dialplan:
    return Dialplan.model_validate(PLAN)


def test_every_path_walks_the_menus_to_its_outcome(dialplan: Dialplan) -> None:
    paths = menu_paths(dialplan)
    assert paths
    for path in paths:
        assert walk(dialplan, path.start_menu, path.digits) == path.outcome, path


def test_every_option_of_every_reachable_menu_is_pressed(dialplan: Dialplan) -> None:
    paths = menu_paths(dialplan)
    for did_number, did in dialplan.dids.items():
        starts = {did.menu, *([did.closed_menu] if did.closed_menu else [])}
        pressed = {option for p in paths if p.did == did_number for option in p.pressed}
        reachable = _reachable(dialplan, starts)
        expected = {(menu, key) for menu in reachable for key in dialplan.menus[menu].options}
        assert pressed == expected, did_number


def test_paths_are_the_shortest_ways_in(dialplan: Dialplan) -> None:
    paths = menu_paths(dialplan)
    outcomes = {(p.did, p.start_menu, p.digits): p.outcome for p in paths}
    assert outcomes[("4001", "main", ("1",))] == "queue:repairs"
    assert outcomes[("4001", "main", ("5", "2", "2"))] == "extension:2105@default"  # into deep, its transfer
    assert outcomes[("4001", "main", ("9", "1"))] == "queue:repairs"  # hours, then the first ending
    assert outcomes[("4001", "main", ("5", "*", "1"))] == "queue:repairs"  # back to main, then out
    assert outcomes[("4001", "closed", ("3",))] == "queue:agents"
    assert outcomes[("+15551230002", "club", ("#",))] == "hangup:USER_BUSY"
    deep_transfer = [
        p for p in paths if p.did == "4001" and p.start_menu == "main" and ("deep", "2") in p.pressed
    ]
    assert min(len(p.digits) for p in deep_transfer) == 3


def test_repeated_keys_are_kept(dialplan: Dialplan) -> None:
    dialed = {p.digits for p in menu_paths(dialplan)}
    assert ("5", "2", "1", "1") in dialed  # club -> deep -> back to club -> 1 (hours then hang up)


def test_max_keys_bounds_the_options_pressed(dialplan: Dialplan) -> None:
    short = menu_paths(dialplan, max_keys=2)
    assert short
    assert all(len(p.pressed) <= 2 for p in short)
    assert len(short) < len(menu_paths(dialplan))
    assert ("+15551230002", ("3", *"00#00#00#", "1")) in {(p.did, p.digits) for p in short}


def test_lookups_enter_a_customer_nobody_has_then_follow_the_fallback(dialplan: Dialplan) -> None:
    outcomes = {(p.did, p.start_menu, p.digits): p.outcome for p in menu_paths(dialplan)}
    # min_digits zeros and the terminator, once per try of club (3); club's fallback plays a message
    # and returns to club, whose first ending follows.
    assert outcomes[("+15551230002", "club", ("3", *"00#00#00#", "1"))] == "hangup:NORMAL_CLEARING"
    # A caller_id lookup asks nothing: an unknown caller goes to the fallback at once.
    assert outcomes[("4001", "main", ("4",))] == "queue:agents"
    # A fixed length (min = max) needs no terminator; deep gives one try, then its fallback hangs up.
    assert outcomes[("4001", "main", ("5", "2", "3", *"0000"))] == "hangup:NORMAL_CLEARING"
    # No terminator: max_digits zeros end the entry; closed's fallback goes to main, then out.
    assert outcomes[("4001", "closed", ("4", *"000000", "1"))] == "queue:repairs"


@pytest.mark.parametrize(
    ("entry", "keys"),
    [
        ({"by": "caller_id"}, ()),
        ({"ask": "a", "min_digits": 3, "max_digits": 5}, ("0", "0", "0", "#")),
        ({"ask": "a", "min_digits": 3, "max_digits": 5, "terminator": "*"}, ("0", "0", "0", "*")),
        ({"ask": "a", "min_digits": 3, "max_digits": 5, "terminator": ""}, ("0",) * 5),
        ({"ask": "a", "min_digits": 4, "max_digits": 4}, ("0",) * 4),
    ],
)
def test_lookup_entry_ends_on_a_key(entry: dict[str, Any], keys: tuple[str, ...]) -> None:
    lookup = SelfServiceLookup.model_validate({**entry, "answer": [{"prompt": "a"}]})
    assert lookup_entry(lookup) == keys


def test_example_dialplan_is_fully_covered() -> None:
    loader = pytest.importorskip("dialplans.loader")
    example = Path(__file__).resolve().parents[2] / "dialplans" / "main.yaml"
    if not example.is_file():
        pytest.skip("dialplans/main.yaml is not in the tree yet")
    dialplan = loader.load_dialplan(example).model
    paths = menu_paths(dialplan)
    for path in paths:
        assert walk(dialplan, path.start_menu, path.digits) == path.outcome
    starts = {m for did in dialplan.dids.values() for m in (did.menu, did.closed_menu) if m}
    reachable = _reachable(dialplan, starts)
    pressed = {option for p in paths for option in p.pressed}
    assert pressed == {(m, k) for m in reachable for k in dialplan.menus[m].options}


def test_csv_has_one_row_per_path(tmp_path: Path, dialplan: Dialplan) -> None:
    paths = menu_paths(dialplan)
    lines = write_paths_csv(paths, tmp_path / "p.csv", caller="+15559990000").read_text().splitlines()
    assert lines[0] == "SEQUENTIAL"
    assert len(lines) == len(paths) + 1
    first = lines[1].split(";")
    assert first == [paths[0].did, "+15559990000", paths[0].dialed, paths[0].outcome, paths[0].start_menu]
    assert {line.split(";")[2] for line in lines[1:]} == {p.dialed for p in paths}


def test_csv_refuses_a_separator_in_a_field(tmp_path: Path) -> None:
    bad = MenuPath(
        did="4001", start_menu="main", digits=("1",), outcome="queue:a;b", pressed=(("main", "1"),)
    )
    with pytest.raises(ValueError, match="injection"):
        write_paths_csv([bad], tmp_path / "p.csv")


def _reachable(dialplan: Dialplan, starts: set[str]) -> set[str]:
    seen, todo = set(starts), list(starts)
    while todo:
        for action in dialplan.menus[todo.pop()].options.values():
            if isinstance(action, GotoMenu) and action.menu not in seen:
                seen.add(action.menu)
                todo.append(action.menu)
    return seen
