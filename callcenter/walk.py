"""SIPp callers walked through the running call center, and the rows they left in the database.

`walk_path` and `check_walk` serve `callcenter demo`, `callcenter sipp smoke` and the live tier
(tests/live/test_live_menus.py): SIPp dials
the DID and keys the path while the database is watched; once the IVR has placed the call (a queue, an
extension, a hang-up) a caller still up after `linger_s` is hung up from the switch (`uuid_kill`), so a
caller waiting in a queue nobody serves does not wait out SIPp's timeout.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select

from dialplans.models import Dialplan
from schema.calls.models import Call, IvrStep
from schema.db import session_scope
from sipp_scenarios.dtmf_pcap import DtmfTiming
from sipp_scenarios.generate import MenuPath
from sipp_scenarios.runner import path_call
from sipp_scenarios.sipp_run import ScenarioResult, run_sipp
from sipp_scenarios.switch import SwitchEndpoints, esl_api

# Steps after which the IVR is done with a call: where its path ends.
END_RESULTS = frozenset({"queue", "transfer", "hangup", "blocked"})
DEFAULT_TIMEOUT_S = 90.0


@dataclass(frozen=True)
class WalkedCall:
    path: MenuPath
    caller: str
    sipp: ScenarioResult
    call: Call | None
    steps: list[IvrStep]


def call_uuid_of(engine: Engine, caller: str) -> str | None:
    """The newest call from `caller`."""
    with session_scope(engine) as db:
        query = select(Call.uuid).where(Call.caller_number == caller).order_by(Call.id.desc()).limit(1)
        return db.scalars(query).first()


def steps_of(engine: Engine, call_uuid: str) -> list[IvrStep]:
    with session_scope(engine) as db:
        return list(db.scalars(select(IvrStep).where(IvrStep.call_uuid == call_uuid).order_by(IvrStep.seq)))


def wait_ended(engine: Engine, call_uuid: str, timeout: float = 15.0) -> Call | None:
    """The call's row once it has ended (or as it is when `timeout` runs out)."""
    deadline = time.monotonic() + timeout
    while True:
        with session_scope(engine) as db:
            row = db.scalars(select(Call).where(Call.uuid == call_uuid)).first()
        if (row is not None and row.ended_at is not None) or time.monotonic() > deadline:
            return row
        time.sleep(0.2)


def walk_path(
    sipp: Path,
    endpoints: SwitchEndpoints,
    engine: Engine,
    path: MenuPath,
    *,
    caller: str,
    work_dir: Path,
    index: int = 1,
    linger_s: float = 1.0,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> WalkedCall:
    """Walk `path` as a SIPp caller from `caller`; see the module's docstring."""
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(
            run_sipp,
            sipp,
            path_call(index, path, caller=caller),
            endpoints=endpoints,
            work_dir=work_dir,
            timing=DtmfTiming(),
            timeout_s=int(timeout_s),
        )
        call_uuid = _wait_placed(engine, caller, running.done, timeout_s)
        if call_uuid is not None and not running.done():
            time.sleep(linger_s)  # the switch may be hanging up or bridging the call itself
            if not running.done():
                esl_api(endpoints, f"uuid_kill {call_uuid}")
        result = running.result(timeout=timeout_s + 60)
    call_uuid = call_uuid or call_uuid_of(engine, caller)
    if call_uuid is None:
        return WalkedCall(path, caller, result, None, [])
    return WalkedCall(path, caller, result, wait_ended(engine, call_uuid), steps_of(engine, call_uuid))


def _wait_placed(engine: Engine, caller: str, sipp_done: Callable[[], bool], timeout_s: float) -> str | None:
    """The call's UUID once its steps reach an end (None if SIPp finished or time ran out first)."""
    deadline = time.monotonic() + timeout_s
    call_uuid = None
    while time.monotonic() < deadline and not sipp_done():
        call_uuid = call_uuid or call_uuid_of(engine, caller)
        if call_uuid is not None and any(step.result in END_RESULTS for step in steps_of(engine, call_uuid)):
            return call_uuid
        time.sleep(0.3)
    return None


def check_walk(walked: WalkedCall, dialplan: Dialplan) -> list[str]:
    """What is wrong with one walked path (empty: nothing): the SIPp call, the call's row, the hours
    step, the keys taken in each menu (the `ok` steps), and where the call ended."""
    path, steps, problems = walked.path, walked.steps, []
    if not walked.sipp.ok:
        problems.append(f"SIPp: {walked.sipp.errors or walked.sipp.returncode}")
    if walked.call is None:
        return [*problems, f"no call row from {walked.caller}"]
    if (walked.call.did, walked.call.caller_number) != (path.did, walked.caller):
        problems.append(f"call row: did {walked.call.did}, caller {walked.call.caller_number}")
    if walked.call.ended_at is None:
        problems.append("call row never ended")
    did = dialplan.dids[path.did]
    hours = "closed" if path.start_menu == did.closed_menu and did.closed_menu != did.menu else "open"
    results = [step.result for step in steps]
    if not results or results[0] != hours:
        problems.append(f"first step {results[:1]}, expected {hours}")
    pressed = [(step.menu, step.digits) for step in steps if step.result == "ok"]
    if pressed != [(menu, key) for menu, key in path.pressed]:
        problems.append(f"keys taken {pressed}, pressed {list(path.pressed)}")
    kind, _, target = path.outcome.partition(":")
    wanted: tuple[str, str | None] = {
        "queue": ("queue", target),
        "extension": ("transfer", target.partition("@")[0]),
    }.get(kind, ("hangup", None))
    ends = [
        (step.result, step.digits if wanted[1] is not None else None)
        for step in steps
        if step.result in END_RESULTS
    ]
    if ends[:1] != [wanted]:
        problems.append(f"ended {ends[:1]}, expected {wanted}")
    if kind == "hangup" and walked.call.hangup_cause != target:
        problems.append(f"hang-up cause {walked.call.hangup_cause}, expected {target}")
    return problems


def describe(walked: WalkedCall) -> str:
    """The call's row and its IVR steps, as `callcenter demo` prints them."""
    lines = [
        f"SIPp: {'ok' if walked.sipp.ok else 'FAILED'} ({walked.sipp.successful} call(s), "
        f"{walked.sipp.failed} failed; traces in {walked.sipp.work_dir})"
    ]
    call = walked.call
    if call is None:
        lines.append(f"no call from {walked.caller} reached the database")
        return "\n".join(lines)
    lines.append(
        f"call {call.uuid}: {call.caller_number} -> {call.did}, outcome {call.outcome}, "
        f"destination {call.destination}, menus {call.menu_path}, hang-up {call.hangup_cause}, "
        f"{call.duration_s or 0:.1f} s"
    )
    for step in walked.steps:
        lines.append(
            f"  {step.seq:>2} {step.at:%H:%M:%S.%f}"[:-3]
            + f"  {step.menu or '-':<14} {step.result:<16} {step.prompt or '':<20} {step.digits or ''}"
        )
    return "\n".join(lines)
