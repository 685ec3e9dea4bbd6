"""Every menu path of the example, walked by a SIPp caller through the real FreeSWITCH and the real
`callcenter serve`, and checked where it counts: the call's row, its IVR steps, and where it went.

Each path is one SIPp call from its own caller number, keying RFC 2833 DTMF from 1.5 s after the
answer, so the first key falls in the greeting (type-ahead). The test watches the database: once the
call's steps reach the path's end (a queue, an extension, a hang-up) a caller left waiting in a queue
is hung up from the switch (uuid_kill), and the steps must be exactly the keys the path pressed, in
the menus it pressed them in. Opening hours are pinned by the live dialplan (harness.live_dialplan):
4001 is always open, 4003 (the same line) never, 4002 is 24x7.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from callcenter.walk import WalkedCall, call_uuid_of, check_walk, steps_of, wait_ended, walk_path
from dialplans.models import Dialplan
from freeswitch_conf.settings import CallControl
from schema.db import create_engine_from_url
from sipp_scenarios.dtmf_pcap import DtmfTiming
from sipp_scenarios.generate import MenuPath, menu_paths
from sipp_scenarios.sipp_run import SippCall, run_sipp
from tests.support.live import harness
from tests.support.live.harness import CLOSED_DID, Build, Live

pytestmark = pytest.mark.live

# Both ways of taking calls, each proven on the real switch (docs/inbound-control.md).
CALL_CONTROLS: tuple[CallControl, ...] = ("socket", "park")

HANGUP_CALLER = "+15550000001"  # caller_hangup.xml's From


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory, build: Build | None, call_control: CallControl
) -> Iterator[Live]:
    work = tmp_path_factory.mktemp(f"live_menus_{call_control}")
    with harness.live_switch(work, build, call_control=call_control) as running:
        yield running


@pytest.fixture(scope="module")
def app_server(live: Live) -> Iterator[subprocess.Popen[bytes]]:
    with harness.app_server(live) as process:
        yield process


@pytest.fixture(scope="module")
def engine(live: Live) -> Iterator[Engine]:
    engine = create_engine_from_url(harness.database_url(live))
    yield engine
    engine.dispose()


def pinned_paths(dialplan: Dialplan) -> list[MenuPath]:
    """The paths callers can take under the pinned hours: 4003's closed menu, the others' open one."""
    chosen = []
    for path in menu_paths(dialplan):
        did = dialplan.dids[path.did]
        in_effect = did.closed_menu if path.did == CLOSED_DID else did.menu
        if path.start_menu == in_effect:
            chosen.append(path)
    return chosen


def walk(live: Live, engine: Engine, path: MenuPath, index: int) -> WalkedCall:
    """One SIPp call down `path` from its own number; hung up from the switch once the IVR placed it."""
    return walk_path(
        live.sipp,
        live.endpoints,
        engine,
        path,
        caller=f"+1555010{index:04d}",
        work_dir=live.work / "menus" / f"{index:03d}",
        index=index,
    )


def test_every_menu_path_lands_where_its_keys_say(
    live: Live, app_server: subprocess.Popen[bytes], engine: Engine
) -> None:
    dialplan = live.loaded.model
    paths = pinned_paths(dialplan)
    assert {path.did for path in paths} == set(dialplan.dids), "every line has a path"
    failures = {}
    for index, path in enumerate(paths, start=1):
        walked = walk(live, engine, path, index)
        problems = check_walk(walked, dialplan)
        if problems:
            failures[f"{path.did} {path.start_menu} keys {path.dialed or '-'} -> {path.outcome}"] = problems
    assert live.switch.alive(), live.switch.log_tail()
    assert not failures, "\n".join(f"{name}: {problems}" for name, problems in failures.items())


def test_a_key_in_the_greeting_answers_the_menu_at_once(
    live: Live, app_server: subprocess.Popen[bytes], engine: Engine
) -> None:
    """Type-ahead: the caller keys 2 during "Thank you for calling" and the main menu's options are
    never played: the key is taken the moment the greeting stops."""
    dialplan = live.loaded.model
    path = next(p for p in pinned_paths(dialplan) if p.did == "4001" and p.digits == ("2",))
    walked = walk(live, engine, path, 900)
    assert not check_walk(walked, dialplan), check_walk(walked, dialplan)
    greeting = next(step for step in walked.steps if step.result == "played")
    answered = next(step for step in walked.steps if step.result == "ok")
    assert greeting.prompt == dialplan.menus["main"].greeting
    # Without type-ahead the key would have been lost and the options (about 10 s of speech) played first.
    assert answered.at - greeting.at < dt.timedelta(seconds=1), (greeting.at, answered.at)


def test_a_wrong_key_is_caught(live: Live, app_server: subprocess.Popen[bytes], engine: Engine) -> None:
    """The check itself: the path says 2 (insurance), the caller keys 3 (roadside)."""
    dialplan = live.loaded.model
    path = next(p for p in pinned_paths(dialplan) if p.did == "4001" and p.digits == ("2",))
    lying = MenuPath(path.did, path.start_menu, ("3",), path.outcome, path.pressed)
    walked = walk(live, engine, lying, 901)
    problems = check_walk(walked, dialplan)
    assert any(problem.startswith("keys taken") for problem in problems), problems
    assert any(problem.startswith("ended") for problem in problems), problems


def test_a_caller_hanging_up_in_the_greeting_is_recorded(
    live: Live, app_server: subprocess.Popen[bytes], engine: Engine
) -> None:
    hangup = SippCall("hang up mid-greeting", "caller_hangup.xml", args=("-s", "4002", "-d", "1000"))
    result = run_sipp(
        live.sipp,
        hangup,
        endpoints=live.endpoints,
        work_dir=live.work / "hangup",
        timing=DtmfTiming(),
        timeout_s=30,
    )
    assert result.ok, result.errors
    call_uuid = call_uuid_of(engine, HANGUP_CALLER)
    assert call_uuid is not None
    row = wait_ended(engine, call_uuid)
    steps = steps_of(engine, call_uuid)
    assert row is not None
    assert row.did == "4002"
    assert row.ended_at is not None
    assert [step.result for step in steps][-1] == "caller_hangup", [(s.prompt, s.result) for s in steps]
    assert not any(step.result == "ok" for step in steps)
